import { describe, expect, it } from 'vitest';
import { defaultDpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { defaultGrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { defaultPpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import { defaultRewardConfig } from '../../src/core/reward/rewardConfig.ts';
import { defaultPretrainConfig } from '../../src/core/train/defaults.ts';
import { decodeUrlConfig, describeIgnored, encodeUrlConfig, MAX_QUERY_CHARS, prefixOf } from '../../src/lib/urlConfig.ts';

const grpoDefaults = () => ({ ...defaultGrpoConfig('grpo'), method: 'grpo' as const });
const keysOf = (query: string) => decodeUrlConfig(query).ignored.map((i) => i.key);

describe('encodeUrlConfig', () => {
  it('writes only the stage when every setting is at its default', () => {
    expect(encodeUrlConfig({ stage: 'grpo', configs: { grpo: grpoDefaults(), ppo: defaultPpoRunConfig() } })).toBe('stage=grpo');
  });

  it('writes the settings that differ, under their stage prefix', () => {
    const grpo = { ...grpoDefaults(), beta: 0.1, learning_rate: 0.002 };
    const ppo = { ...defaultPpoRunConfig(), kl_coef: 0 };
    expect(encodeUrlConfig({ stage: 'grpo', configs: { grpo, ppo } })).toBe('stage=grpo&ppo.kl_coef=0&grpo.beta=0.1&grpo.learning_rate=0.002');
  });

  it('writes nested settings, lists, nulls and the hide list', () => {
    const pretrain = defaultPretrainConfig();
    pretrain.model.n_layer = 2;
    const dpo = { ...defaultDpoRunConfig(), loss_type: ['sigmoid' as const, 'ipo' as const], loss_weights: [1, 0.5] };
    const reward = { ...defaultRewardConfig(), center_rewards_coefficient: 0.01 };
    const query = encodeUrlConfig({ stage: 'dpo', configs: { pretrain, dpo, reward }, hide: ['dpo.beta', 'ppo.advanced'] });
    expect(query).toBe('stage=dpo&pretrain.model.n_layer=2&reward.center_rewards_coefficient=0.01&dpo.loss_type=sigmoid,ipo&dpo.loss_weights=1,0.5&hide=dpo.beta,ppo.advanced');
  });

  it('compares GRPO settings with the defaults of its method (RLOO has its own beta)', () => {
    const rloo = { ...defaultGrpoConfig('rloo'), method: 'rloo' as const };
    expect(encodeUrlConfig({ stage: 'grpo', configs: { grpo: rloo } })).toBe('stage=grpo&grpo.method=rloo');
  });

  it('reads back to the same settings', () => {
    const grpo = { ...grpoDefaults(), beta: 0.04, epsilon_high: 0.28, loss_type: 'bnpo' as const, mask_truncated_completions: true, seed: 7 };
    const ppo = { ...defaultPpoRunConfig(), missing_eos_penalty: 1, kl_estimator: 'k3' as const, adap_kl_ctrl: false };
    const reward = { ...defaultRewardConfig(), trainable_layers: 2 };
    const decoded = decodeUrlConfig(encodeUrlConfig({ stage: 'policy', configs: { grpo, ppo, reward } }));
    expect(decoded.ignored).toEqual([]);
    expect(decoded.stage).toBe('policy');
    expect(decoded.configs.grpo).toEqual(grpo);
    expect(decoded.configs.ppo).toEqual(ppo);
    expect(decoded.configs.reward).toEqual(reward);
    expect(decoded.settings.grpo).toEqual({ beta: 0.04, epsilon_high: 0.28, loss_type: 'bnpo', mask_truncated_completions: true, seed: 7 });
  });
});

describe('decodeUrlConfig', () => {
  it('reads the example of the brief', () => {
    const decoded = decodeUrlConfig('?stage=grpo&grpo.beta=0.1&grpo.learning_rate=0.002&ppo.kl_coef=0');
    expect(decoded.stage).toBe('grpo');
    expect(decoded.settings).toEqual({ grpo: { beta: 0.1, learning_rate: 0.002 }, ppo: { kl_coef: 0 } });
    expect(decoded.configs.grpo).toEqual({ ...grpoDefaults(), beta: 0.1, learning_rate: 0.002 });
    expect(decoded.ignored).toEqual([]);
  });

  it('takes ppo as the Policy optimization stage, and no stage when the link names none', () => {
    expect(decodeUrlConfig('stage=ppo').stage).toBe('policy');
    expect(decodeUrlConfig('grpo.seed=3').stage).toBeUndefined();
    expect(prefixOf('policy')).toBe('ppo');
    expect(prefixOf('preferences')).toBeUndefined();
  });

  it('ignores values of the wrong type, saying why', () => {
    const decoded = decodeUrlConfig('grpo.beta=abc&grpo.mask_truncated_completions=yes&grpo.max_steps=&grpo.seed=0x10');
    expect(decoded.ignored).toEqual([
      { key: 'grpo.beta', why: 'not a number' },
      { key: 'grpo.mask_truncated_completions', why: 'must be true or false' },
      { key: 'grpo.max_steps', why: 'not a number' },
      { key: 'grpo.seed', why: 'not a number' },
    ]);
    expect(decoded.configs.grpo).toBeUndefined();
  });

  it('ignores NaN, Infinity and numbers too large to be finite', () => {
    expect(decodeUrlConfig('grpo.beta=NaN&grpo.epsilon=Infinity&grpo.temperature=1e999').ignored).toEqual([
      { key: 'grpo.beta', why: 'not a number' },
      { key: 'grpo.epsilon', why: 'not a number' },
      { key: 'grpo.temperature', why: 'not a finite number' },
    ]);
  });

  it('ignores lists where a number is expected, and bracketed keys', () => {
    expect(decodeUrlConfig('grpo.beta=1,2&grpo.seed[]=1&grpo.seed[]=2').ignored).toEqual([
      { key: 'grpo.beta', why: 'not a number' },
      { key: 'grpo.seed[]', why: 'unknown setting' },
      { key: 'grpo.seed[]', why: 'given more than once; the first is used' },
    ]);
  });

  it('ignores values the stage validator refuses, with its message, and keeps the rest', () => {
    const decoded = decodeUrlConfig('ppo.kl_coef=-5&ppo.max_steps=2.5&ppo.seed=4&dpo.beta=0&dpo.loss_type=sigmoid,nope');
    expect(decoded.ignored.map((i) => i.key)).toEqual(['ppo.kl_coef', 'ppo.max_steps', 'dpo.beta', 'dpo.loss_type']);
    expect(decoded.ignored[0].why).toMatch(/at least 0/);
    expect(decoded.ignored[3].why).toMatch(/unknown loss type nope/);
    expect(decoded.settings).toEqual({ ppo: { seed: 4 } });
    expect(decoded.configs.ppo).toEqual({ ...defaultPpoRunConfig(), seed: 4 });
  });

  it('checks settings together: a batch that suits the group size given beside it is kept', () => {
    expect(decodeUrlConfig('grpo.num_generations=4&grpo.per_device_train_batch_size=12').settings.grpo).toEqual({ num_generations: 4, per_device_train_batch_size: 12 });
    const refused = decodeUrlConfig('grpo.per_device_train_batch_size=12');
    expect(refused.ignored.map((i) => i.key)).toEqual(['grpo.per_device_train_batch_size']);
    expect(refused.ignored[0].why).toMatch(/multiple of num_generations/);
  });

  it('reads enum values, lists and nullable numbers', () => {
    const decoded = decodeUrlConfig('grpo.method=rloo&grpo.scale_rewards=none&grpo.epsilon_high=&dpo.loss_weights=&reward.trainable_layers=all&sft.lr_scheduler_type=cosine');
    expect(decoded.ignored).toEqual([]);
    expect(decoded.configs.grpo).toEqual({ ...defaultGrpoConfig('rloo'), method: 'rloo', scale_rewards: 'none' });
    expect(decoded.configs.sft?.lr_scheduler_type).toBe('cosine');
    expect(keysOf('grpo.method=ppo&grpo.loss_type=huge&sft.lr_scheduler_type=steps')).toEqual(['grpo.method', 'grpo.loss_type', 'sft.lr_scheduler_type']);
  });

  it('reads nested pretraining settings; a shape unlike the preset makes it custom', () => {
    const decoded = decodeUrlConfig('pretrain.model.n_layer=2&pretrain.tokenizer.kind=char&pretrain.corpus.num_stories=100');
    expect(decoded.ignored).toEqual([]);
    expect(decoded.configs.pretrain?.model.n_layer).toBe(2);
    expect(decoded.configs.pretrain?.model_preset).toBe('custom');
    expect(decoded.configs.pretrain?.tokenizer.kind).toBe('char');
    expect(decoded.configs.pretrain?.corpus).toEqual({ kind: 'stories', num_stories: 100, seed: 1 });
    expect(decodeUrlConfig('pretrain.model_preset=tiny').configs.pretrain?.model.n_embd).toBe(48);
    expect(keysOf('pretrain.model_preset=giant&pretrain.corpus.kind=upload&pretrain.model.n_head=3')).toEqual(['pretrain.model_preset', 'pretrain.corpus.kind', 'pretrain.model.n_head']);
  });

  it('ignores unknown keys and stages, and uses the first of repeated keys', () => {
    const decoded = decodeUrlConfig('stage=nope&foo=1&ppo.foo=2&grpo.seed=1&grpo.seed=2&zzz.beta=1');
    expect(decoded.stage).toBeUndefined();
    expect(decoded.ignored).toEqual([
      { key: 'stage', why: 'no stage called "nope"' },
      { key: 'foo', why: 'unknown setting' },
      { key: 'ppo.foo', why: 'unknown setting' },
      { key: 'grpo.seed', why: 'given more than once; the first is used' },
      { key: 'zzz.beta', why: 'unknown setting' },
    ]);
    expect(decoded.settings.grpo).toEqual({ seed: 1 });
  });

  it('lets no key reach an object prototype', () => {
    const decoded = decodeUrlConfig('__proto__[x]=1&__proto__.x=1&grpo.__proto__=1&grpo.constructor=1&ppo.toString=1&pretrain.model.__proto__.x=1&constructor.prototype.x=1&grpo.hasOwnProperty=1');
    expect(decoded.ignored.map((i) => i.why)).toEqual(Array(8).fill('unknown setting'));
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('x');
    expect(decoded.settings).toEqual({});
  });

  it('ignores a value over 200 characters, and everything past 8 KB with one reason', () => {
    expect(decodeUrlConfig(`grpo.seed=1&grpo.beta=${'1'.repeat(201)}`).ignored).toEqual([{ key: 'grpo.beta', why: 'value longer than 200 characters' }]);
    const huge = `stage=grpo&grpo.seed=5&x=${'a'.repeat(1_000_000)}&grpo.beta=0.1`;
    const decoded = decodeUrlConfig(huge);
    expect(decoded.stage).toBe('grpo');
    expect(decoded.settings.grpo).toEqual({ seed: 5 });
    expect(decoded.ignored).toEqual([{ key: 'the link', why: `too long: everything after its first ${MAX_QUERY_CHARS / 1024} KB was ignored` }]);
  });

  it('shortens long keys in its reasons', () => {
    const [ignored] = decodeUrlConfig(`${'k'.repeat(100)}=1`).ignored;
    expect(ignored.key).toBe(`${'k'.repeat(40)}…`);
  });

  it('never throws on malformed text', () => {
    for (const query of ['%', '%E0%A4%A', '&&&==&=', '?', '', '=1', 'grpo.=1', '.beta=1', 'grpo.beta', 'hide=%00,<b>x</b>', '\u0000\uffff']) {
      expect(() => decodeUrlConfig(query)).not.toThrow();
    }
    expect(decodeUrlConfig('grpo.beta').ignored).toEqual([{ key: 'grpo.beta', why: 'not a number' }]);
  });

  it('reads the hide list, leaving out names that are not setting names', () => {
    const decoded = decodeUrlConfig('hide=grpo.beta,ppo.kl_coef,grpo.advanced,,<img>');
    expect(decoded.hide).toEqual(['grpo.beta', 'ppo.kl_coef', 'grpo.advanced']);
    expect(decoded.ignored).toEqual([{ key: 'hide <img>', why: 'not a setting name' }]);
  });
});

describe('the lesson in the link', () => {
  it('writes the lesson and its step after the settings', () => {
    const ppo = { ...defaultPpoRunConfig(), kl_coef: 0 };
    expect(encodeUrlConfig({ stage: 'policy', configs: { ppo }, lesson: { id: 'kl-penalty', step: 3 } })).toBe('stage=policy&ppo.kl_coef=0&lesson=kl-penalty&step=3');
  });

  it('reads a known lesson and step back', () => {
    const decoded = decodeUrlConfig('?stage=dpo&lesson=dpo&step=2');
    expect(decoded.lesson).toEqual({ id: 'dpo', step: 2 });
    expect(decoded.ignored).toEqual([]);
  });

  it('starts a lesson named without a step at step 1', () => {
    expect(decodeUrlConfig('lesson=reward-hacking').lesson).toEqual({ id: 'reward-hacking', step: 1 });
  });

  it('ignores an unknown lesson, and its step with it', () => {
    const decoded = decodeUrlConfig('lesson=__proto__&step=2');
    expect(decoded.lesson).toBeUndefined();
    expect(decoded.ignored).toEqual([
      { key: 'lesson', why: 'no lesson called "__proto__"' },
      { key: 'step', why: 'a step needs a lesson' },
    ]);
  });

  it('ignores a step the lesson does not have, or one that is not a whole number, and opens step 1', () => {
    for (const step of ['0', '99', '1.5', 'two', '-1', 'Infinity']) {
      const decoded = decodeUrlConfig(`lesson=kl-penalty&step=${step}`);
      expect(decoded.lesson).toEqual({ id: 'kl-penalty', step: 1 });
      expect(decoded.ignored).toEqual([{ key: 'step', why: 'must be a whole number from 1 to 4' }]);
    }
  });

  it('uses the first of a repeated lesson, and ignores a step alone', () => {
    expect(decodeUrlConfig('lesson=dpo&lesson=kl-penalty').lesson).toEqual({ id: 'dpo', step: 1 });
    expect(keysOf('lesson=dpo&lesson=kl-penalty')).toEqual(['lesson']);
    expect(keysOf('step=2')).toEqual(['step']);
  });

  it('reads back what it writes', () => {
    const query = encodeUrlConfig({ stage: 'grpo', configs: {}, lesson: { id: 'overoptimization', step: 3 } });
    expect(decodeUrlConfig(query).lesson).toEqual({ id: 'overoptimization', step: 3 });
  });
});

describe('describeIgnored', () => {
  it('lists the first few reasons and counts the rest', () => {
    const ignored = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, why: 'unknown setting' }));
    expect(describeIgnored(ignored.slice(0, 2))).toBe('Some settings in the link were ignored and keep their defaults: k0 (unknown setting); k1 (unknown setting).');
    expect(describeIgnored(ignored)).toMatch(/k7 \(unknown setting\); and 2 more\.$/);
  });
});
