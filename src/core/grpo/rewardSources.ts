/**
 * The two reward functions a GRPO/RLOO run gets from earlier stages, as RewardFunctions
 * (src/core/rewards/rewardFunction.ts): the simulated annotator's gold score ('gold') and a
 * trained reward model ('reward_model', PPO's scorer over a reward checkpoint); and how a request
 * names its functions (GrpoRewardSource), built-ins (src/core/rewards/builtinRewards.ts) included.
 */
import { rewardModelScorer, goldScorer } from '../ppo/ppoReward.ts';
import type { GoldSpec } from '../preferences/goldScore.ts';
import { BUILTIN_REWARDS, builtinOptionsError, builtinReward, isBuiltinReward } from '../rewards/builtinRewards.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { ConfigError } from '../train/validate.ts';

export function goldRewardFunction(spec?: GoldSpec): RewardFunction {
  const scorer = goldScorer(spec);
  return { name: 'gold', score: (prompts, completions) => scorer.score(prompts, completions) };
}

/** Throws a ConfigError naming 'reward' when the checkpoint is no reward model or its tokenizer differs from the policy's. */
export function rewardModelFunction(files: CheckpointFiles, policyTokenizer: Tokenizer): RewardFunction {
  const scorer = rewardModelScorer(files, policyTokenizer);
  return { name: 'reward_model', score: (prompts, completions) => scorer.score(prompts, completions), dispose: () => scorer.dispose() };
}

/** A reward function as a request names it: structured-cloneable, so it crosses the worker boundary. */
export type GrpoRewardSource =
  | { kind: 'gold'; spec?: GoldSpec }
  | { kind: 'model'; files: CheckpointFiles }
  | { kind: 'builtin'; name: string; options?: Record<string, number> };

/** The functions of `sources`, in order; a ConfigError naming 'reward_funcs' for an unknown built-in or bad options. */
export function makeRewardFunctions(sources: readonly GrpoRewardSource[], policyTokenizer: Tokenizer): RewardFunction[] {
  const made: RewardFunction[] = [];
  try {
    for (const source of sources) {
      if (source.kind === 'gold') made.push(goldRewardFunction(source.spec));
      else if (source.kind === 'model') made.push(rewardModelFunction(source.files, policyTokenizer));
      else {
        if (!isBuiltinReward(source.name)) throw new ConfigError([{ field: 'reward_funcs', message: `unknown reward function "${source.name}" (built-in: ${BUILTIN_REWARDS.map((r) => r.name).join(', ')})` }]);
        const problem = builtinOptionsError(source.name, source.options ?? {});
        if (problem) throw new ConfigError([{ field: 'reward_funcs', message: problem }]);
        made.push(builtinReward(source.name, source.options));
      }
    }
  } catch (e) {
    for (const f of made) f.dispose?.();
    throw e;
  }
  return made;
}
