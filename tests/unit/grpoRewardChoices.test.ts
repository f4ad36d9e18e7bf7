import { describe, expect, it } from 'vitest';
import { HAPPY_ENDING_SPEC } from '../../src/core/preferences/goldScore.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';
import {
  builtinChoice,
  describeRewards,
  EXAMPLE_REWARD_CODE,
  freshCodeName,
  rewardChoiceErrors,
  rewardName,
  rewardSources,
  rewardWeights,
  storedRewardChoices,
  type GrpoRewardChoice,
} from '../../src/state/grpoRewardChoices.ts';
import type { ModelSourceKey } from '../../src/state/modelSources.ts';

const code = (name: string, source = EXAMPLE_REWARD_CODE, weight = 1): GrpoRewardChoice => ({ kind: 'code', name, source, weight });
const gold: GrpoRewardChoice = { kind: 'gold', weight: 1 };
const fields = (choices: GrpoRewardChoice[]) => rewardChoiceErrors(choices).map((e) => e.field);

describe('names and weights', () => {
  it('names each choice as the core names its metric keys', () => {
    const model: GrpoRewardChoice = { kind: 'model', source: 'run:3', weight: 1 };
    expect([gold, model, builtinChoice('happy_words'), code('sunny')].map(rewardName)).toEqual(['gold', 'reward_model', 'happy_words', 'sunny']);
    expect(describeRewards([gold, builtinChoice('topic'), code('sunny')])).toBe('gold + topic + sunny');
  });

  it('gives reward_weights only when a weight differs from 1 (TRL: None = all 1)', () => {
    expect(rewardWeights([gold, builtinChoice('topic')])).toBeNull();
    expect(rewardWeights([gold, builtinChoice('topic', 0.5)])).toEqual([1, 0.5]);
    expect(rewardWeights([])).toBeNull();
  });

  it('offers a fresh name for a new code function', () => {
    expect(freshCodeName([gold])).toBe('my_reward');
    expect(freshCodeName([code('my_reward'), code('my_reward_2')])).toBe('my_reward_3');
  });

  it('starts a built-in with its option defaults', () => {
    expect(builtinChoice('length')).toEqual({ kind: 'builtin', name: 'length', options: { target_words: 40 }, weight: 1 });
  });
});

describe('rewardChoiceErrors', () => {
  it('accepts the default list and the example code', () => {
    expect(rewardChoiceErrors([gold, builtinChoice('repetition'), code('sunny')])).toEqual([]);
  });

  it('needs at least one function', () => {
    expect(fields([])).toEqual(['reward_funcs']);
  });

  it('names the field of each problem', () => {
    expect(fields([{ kind: 'gold', weight: NaN }])).toEqual(['reward.0.weight']);
    expect(fields([gold, { kind: 'model', source: '', weight: 1 }])).toEqual(['reward.1.model']);
    expect(fields([code('bad name')])).toEqual(['reward.0.name']);
    expect(fields([code('')])).toEqual(['reward.0.name']);
    expect(fields([code('a'), code('a')])).toEqual(['reward.1.name']);
    expect(fields([gold, gold])).toEqual(['reward.1.name']);
    expect(fields([{ kind: 'builtin', name: 'repetition', options: { n: 0, max_penalty: -1 }, weight: 1 }])).toEqual(['reward.0.options']);
  });

  it('gives a code syntax error with its line', () => {
    const errors = rewardChoiceErrors([code('broken', '(prompt, completion) => {\n  const x = ;\n  return 1;\n}')]);
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('reward.0.source');
    expect(errors[0].message).toMatch(/^line 2: syntax error/);
  });
});

describe('rewardSources', () => {
  const files: CheckpointFiles = { model: new ArrayBuffer(4), config: '{}', tokenizer: '{}' };

  it('builds the request list in order, the gold spec and the loaded reward model filled in', () => {
    const sources = rewardSources([gold, { kind: 'model', source: 'run:2', weight: 1 }, builtinChoice('length'), code('sunny')], HAPPY_ENDING_SPEC, new Map([['run:2', files]]));
    expect(sources).toEqual([
      { kind: 'gold', spec: HAPPY_ENDING_SPEC },
      { kind: 'model', files },
      { kind: 'builtin', name: 'length', options: { target_words: 40 } },
      { kind: 'code', name: 'sunny', source: EXAMPLE_REWARD_CODE },
    ]);
  });

  it('refuses a reward model that was not loaded', () => {
    expect(() => rewardSources([{ kind: 'model', source: 'run:9', weight: 1 }], HAPPY_ENDING_SPEC, new Map())).toThrow(/reward model/);
  });
});

describe('storedRewardChoices', () => {
  const offered = (key: unknown): key is ModelSourceKey => key === 'run:2';

  it('takes a stored list back, with the checkpoints still offered', () => {
    const stored = [
      { kind: 'gold', weight: 2 },
      { kind: 'model', source: 'run:2', weight: 1 },
      { kind: 'model', source: 'run:7', weight: 1 },
      { kind: 'builtin', name: 'length', options: { target_words: 12 }, weight: 0.5 },
      { kind: 'code', name: 'sunny', source: 'x => 1', weight: 1 },
    ];
    expect(storedRewardChoices(stored, offered)).toEqual([
      { kind: 'gold', weight: 2 },
      { kind: 'model', source: 'run:2', weight: 1 },
      { kind: 'model', source: '', weight: 1 },
      { kind: 'builtin', name: 'length', options: { target_words: 12 }, weight: 0.5 },
      { kind: 'code', name: 'sunny', source: 'x => 1', weight: 1 },
    ]);
  });

  it('drops what it does not know, and is null for no list', () => {
    expect(storedRewardChoices([{ kind: 'builtin', name: 'nope' }, { kind: 'other' }, 3], offered)).toEqual([]);
    expect(storedRewardChoices(undefined, offered)).toBeNull();
  });
});
