import { describe, expect, it } from 'vitest';
import { decodeUrlConfig, encodeUrlConfig } from '../../src/lib/urlConfig.ts';
import { MAX_CODE_CHARS, resolveRewardModel, resolveRunRef, runRefOf, type LinkChoices, type RunLike } from '../../src/lib/urlChoices.ts';

const CODE = '(prompt, completion) => completion.length / 100';
const roundTrip = (choices: LinkChoices) => decodeUrlConfig(encodeUrlConfig({ stage: 'grpo', configs: {}, choices }));
const ignoredOf = (query: string) => decodeUrlConfig(query).ignored.map((i) => `${i.key}: ${i.why}`);

describe('a link writes its model and reward choices', () => {
  it('writes nothing for the default choices', () => {
    expect(encodeUrlConfig({ stage: 'grpo', configs: {}, choices: { from: {}, ppoReward: { kind: 'gold' }, grpoRewards: [{ kind: 'gold', weight: 1 }] } })).toBe('stage=grpo');
  });

  it('writes starting checkpoints by stage and name, the PPO reward model and the GRPO list', () => {
    const query = encodeUrlConfig({
      stage: 'policy',
      configs: {},
      choices: {
        from: { sft: 'base', ppo: { stage: 'sft', name: 'Stories, tuned' } },
        ppoReward: { kind: 'model', model: 'RM a' },
        grpoRewards: [
          { kind: 'gold', weight: 0.5 },
          { kind: 'builtin', name: 'length', options: { target_words: 30 }, weight: 1 },
          { kind: 'model', model: 'RM a', weight: 2 },
        ],
      },
    });
    expect(query).toBe(
      'stage=policy&sft.from=base&ppo.from=sft:Stories,+tuned&ppo.reward=model&ppo.reward_model=RM+a' +
        '&grpo.reward.1=gold&grpo.reward.1.weight=0.5&grpo.reward.2=length&grpo.reward.2.target_words=30&grpo.reward.3=reward_model&grpo.reward.3.weight=2&grpo.reward.3.model=RM+a',
    );
  });

  it('reads back the same choices', () => {
    const choices: LinkChoices = {
      from: { sft: 'base', reward: { stage: 'pretrain', name: 'tiny: 2 layers' }, dpo: { stage: 'grpo', name: 'a&b=c' } },
      ppoReward: { kind: 'model', model: 'My RM' },
      grpoRewards: [
        { kind: 'builtin', name: 'repetition', options: { n: 2, max_penalty: -1 }, weight: 1 },
        { kind: 'code', name: 'long_ones', source: CODE, weight: -0.25 },
        { kind: 'model', model: null, weight: 1 },
        { kind: 'gold', weight: 1 },
      ],
    };
    const decoded = roundTrip(choices);
    expect(decoded.ignored).toEqual([]);
    expect(decoded.choices).toEqual(choices);
  });

  it('keeps the gold score alone with another weight, and a reward model with none chosen', () => {
    expect(roundTrip({ grpoRewards: [{ kind: 'gold', weight: 3 }] }).choices.grpoRewards).toEqual([{ kind: 'gold', weight: 3 }]);
    expect(roundTrip({ ppoReward: { kind: 'model', model: null } }).choices.ppoReward).toEqual({ kind: 'model', model: null });
  });

  it("writes the DPO reference only when it is not the policy's frozen copy, and reads it back", () => {
    expect(encodeUrlConfig({ stage: 'dpo', configs: {}, choices: { dpoRef: 'same' } })).toBe('stage=dpo');
    expect(encodeUrlConfig({ stage: 'dpo', configs: {}, choices: { dpoRef: 'base' } })).toBe('stage=dpo&dpo.ref=base');
    const run = { stage: 'sft' as const, name: 'Stories SFT' };
    expect(encodeUrlConfig({ stage: 'dpo', configs: {}, choices: { dpoRef: run } })).toBe('stage=dpo&dpo.ref=sft:Stories+SFT');
    expect(roundTrip({ dpoRef: run }).choices.dpoRef).toEqual(run);
    expect(decodeUrlConfig('dpo.ref=same').choices.dpoRef).toBe('same');
  });

  it('orders the list by its numbers, not by where the keys stand', () => {
    const { choices } = decodeUrlConfig('grpo.reward.2=gold&grpo.reward.1=happy_words&grpo.reward.1.weight=2');
    expect(choices.grpoRewards).toEqual([
      { kind: 'builtin', name: 'happy_words', options: {}, weight: 2 },
      { kind: 'gold', weight: 1 },
    ]);
  });
});

describe('a hostile link cannot choose what it should not', () => {
  it('refuses malformed checkpoint names with a reason', () => {
    const decoded = decodeUrlConfig('sft.from=run:4&ppo.from=sft:&grpo.from=nostage:x&pretrain.from=base&dpo.from=base');
    expect(decoded.choices.from).toEqual({ dpo: 'base' });
    expect(decoded.ignored.map((i) => i.key)).toEqual(['sft.from', 'ppo.from', 'grpo.from', 'pretrain.from']);
    expect(decoded.ignored[0].why).toMatch(/base or <stage>:<run name>/);
    expect(decoded.ignored[3].why).toBe('unknown setting');
  });

  it('refuses a malformed DPO reference, and a reference on another stage', () => {
    expect(ignoredOf('dpo.ref=copy')).toEqual(['dpo.ref: must be base or <stage>:<run name>, the stage one of pretrain, sft, reward, ppo, dpo, grpo, or same (a frozen copy of the starting policy)']);
    expect(ignoredOf('ppo.ref=base')).toEqual(['ppo.ref: unknown setting']);
  });

  it('refuses an unknown PPO reward kind, and a reward model without reward=model', () => {
    expect(ignoredOf('ppo.reward=javascript')).toEqual(['ppo.reward: must be gold or model']);
    expect(ignoredOf('ppo.reward_model=RM')).toEqual(['ppo.reward_model: a reward model needs ppo.reward=model']);
    expect(decodeUrlConfig('ppo.reward_model=RM').choices.ppoReward).toBeUndefined();
  });

  it('leaves out bad entries of the reward list, each with a reason, and keeps the rest', () => {
    const query = [
      'grpo.reward.1=sentiment',
      'grpo.reward.1.scale=-1',
      'grpo.reward.1.weight=abc',
      'grpo.reward.1.__proto__=1',
      'grpo.reward.2=eval',
      'grpo.reward.3=gold',
      'grpo.reward.4=gold',
      'grpo.reward.9=gold',
      'grpo.reward.0=gold',
      'grpo.reward.x=gold',
      'grpo.reward.6.weight=2',
      'grpo.reward.7=length',
      'grpo.reward.7.n=3',
    ].join('&');
    const decoded = decodeUrlConfig(query);
    expect(decoded.choices.grpoRewards).toEqual([
      { kind: 'builtin', name: 'sentiment', options: { scale: 5 }, weight: 1 },
      { kind: 'gold', weight: 1 },
      { kind: 'builtin', name: 'length', options: { target_words: 40 }, weight: 1 },
    ]);
    expect(ignoredOf(query)).toEqual([
      'grpo.reward.1.scale: sentiment: scale must be above 0',
      'grpo.reward.1.weight: not a number',
      'grpo.reward.1.__proto__: unknown setting',
      expect.stringMatching(/^grpo\.reward\.2: no reward function called "eval"/),
      'grpo.reward.4: "gold" is already in the list',
      'grpo.reward.9: reward functions are numbered 1 to 8',
      'grpo.reward.0: reward functions are numbered 1 to 8',
      'grpo.reward.x: reward functions are numbered 1 to 8',
      'grpo.reward.6.weight: the link names no reward function 6 (grpo.reward.6)',
      'grpo.reward.7.n: unknown setting',
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('takes JavaScript only as one parsable function under a valid name, up to the size cap', () => {
    const code = (name: string, source: string) => `grpo.reward.1=code&grpo.reward.1.name=${encodeURIComponent(name)}&grpo.reward.1.code=${encodeURIComponent(source)}`;
    expect(decodeUrlConfig(code('ok', CODE)).choices.grpoRewards).toEqual([{ kind: 'code', name: 'ok', source: CODE, weight: 1 }]);
    expect(decodeUrlConfig(code('bad name', CODE)).choices.grpoRewards).toBeUndefined();
    expect(ignoredOf(code('bad name', CODE))).toEqual(['grpo.reward.1.name: a JavaScript reward needs a name of letters, digits, _ and -']);
    expect(ignoredOf(code('x', 'fetch("https://example.com")'))[0]).toMatch(/^grpo\.reward\.1\.code: line 1: the source must be a single function expression/);
    expect(ignoredOf(code('x', '(p, c) => { return 1'))[0]).toMatch(/^grpo\.reward\.1\.code: .*syntax error/);
    expect(ignoredOf(code('x', '(p, c) => import("x")'))[0]).toMatch(/import\(\) is not available/);
    expect(ignoredOf('grpo.reward.1=code&grpo.reward.1.name=x')).toEqual(['grpo.reward.1: a JavaScript reward needs its code']);
    const long = `(p, c) => ${'1+'.repeat(MAX_CODE_CHARS)}1`;
    expect(ignoredOf(code('x', long))).toContain(`grpo.reward.1.code: value longer than ${MAX_CODE_CHARS} characters`);
    // Any other value keeps the ordinary cap.
    expect(ignoredOf(`ppo.reward=model&ppo.reward_model=${'r'.repeat(300)}`)).toContain('ppo.reward_model: value longer than 200 characters');
  });

  it('a code entry given twice keeps the first', () => {
    const decoded = decodeUrlConfig(`grpo.reward.1=code&grpo.reward.1.name=a&grpo.reward.1.code=${encodeURIComponent(CODE)}&grpo.reward.1.code=x`);
    expect(decoded.choices.grpoRewards).toHaveLength(1);
    expect(decoded.ignored.map((i) => i.why)).toEqual(['given more than once; the first is used']);
  });
});

describe('resolving a link’s names to this browser’s runs', () => {
  const runs: RunLike[] = [
    { id: 5, name: 'tuned', stage: 'sft', createdAt: 50, checkpointStep: 10 },
    { id: 3, name: 'tuned', stage: 'sft', createdAt: 30, checkpointStep: 10 },
    { id: 7, name: 'tuned', stage: 'sft', createdAt: 70 },
    { id: 2, name: 'old', createdAt: 20, checkpointStep: 4 },
    { id: 4, name: 'RM', stage: 'reward', createdAt: 40, checkpointStep: 8 },
  ];

  it('takes the newest run of that stage and name that has a checkpoint', () => {
    expect(resolveRunRef({ stage: 'sft', name: 'tuned' }, runs, ['pretrain', 'sft'])).toBe(5);
    expect(resolveRunRef({ stage: 'pretrain', name: 'old' }, runs, ['pretrain', 'sft'])).toBe(2);
    expect(resolveRewardModel('RM', runs)).toBe(4);
  });

  it('finds nothing for another name, another stage, or a stage the picker does not offer', () => {
    expect(resolveRunRef({ stage: 'sft', name: 'Tuned' }, runs, ['sft'])).toBeNull();
    expect(resolveRunRef({ stage: 'pretrain', name: 'tuned' }, runs, ['pretrain', 'sft'])).toBeNull();
    expect(resolveRunRef({ stage: 'reward', name: 'RM' }, runs, ['pretrain', 'sft'])).toBeNull();
    expect(resolveRewardModel('tuned', runs)).toBeNull();
  });

  it('names a stored run by its stage and name', () => {
    expect(runRefOf(2, runs)).toEqual({ stage: 'pretrain', name: 'old' });
    expect(runRefOf(99, runs)).toBeNull();
  });
});
