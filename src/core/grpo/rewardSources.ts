/**
 * The two reward functions a GRPO/RLOO run gets from earlier stages, as RewardFunctions
 * (src/core/rewards/rewardFunction.ts): the simulated annotator's gold score ('gold') and a
 * trained reward model ('reward_model', PPO's scorer over a reward checkpoint); and how a request
 * names its functions (GrpoRewardSource), built-ins (src/core/rewards/builtinRewards.ts) and
 * user-written JavaScript ('code', built by the CodeRewardFactory the engine was given) included.
 */
import { rewardModelScorer, goldScorer } from '../ppo/ppoReward.ts';
import type { GoldSpec } from '../preferences/goldScore.ts';
import { BUILTIN_REWARDS, builtinOptionsError, builtinReward, isBuiltinReward } from '../rewards/builtinRewards.ts';
import type { RewardFunction } from '../rewards/rewardFunction.ts';
import { RewardFunctionError } from '../rewards/userRewardSource.ts';
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
  | { kind: 'builtin'; name: string; options?: Record<string, number> }
  /** A user-written `(prompt, completion) => number`, run in a sandbox; timeLimitMs per call. */
  | { kind: 'code'; name: string; source: string; timeLimitMs?: number };

/**
 * How source text becomes a RewardFunction where the run happens: the browser's sandbox worker
 * (sandboxedReward) or Node's vm (nodeReward). Injected so the core stays free of both. Throws a
 * RewardFunctionError when the source cannot be a reward function.
 */
export type CodeRewardFactory = (source: string, options: { name: string; timeLimitMs?: number }) => RewardFunction;

/** Metric keys are rewards/<name>/mean. */
const REWARD_NAME = /^[A-Za-z0-9_-]+$/;

/** The functions of `sources`, in order; a ConfigError naming 'reward_funcs' for an unknown built-in or bad options. */
export function makeRewardFunctions(sources: readonly GrpoRewardSource[], policyTokenizer: Tokenizer, codeReward?: CodeRewardFactory): RewardFunction[] {
  const made: RewardFunction[] = [];
  try {
    for (const source of sources) {
      if (source.kind === 'gold') made.push(goldRewardFunction(source.spec));
      else if (source.kind === 'model') made.push(rewardModelFunction(source.files, policyTokenizer));
      else if (source.kind === 'code') made.push(codeRewardFunction(source, codeReward));
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

/** A ConfigError naming 'reward_funcs' for a bad name, no factory, or source that cannot be a function (with its line). */
function codeRewardFunction(source: Extract<GrpoRewardSource, { kind: 'code' }>, codeReward: CodeRewardFactory | undefined): RewardFunction {
  const fail = (message: string) => new ConfigError([{ field: 'reward_funcs', message }]);
  if (!REWARD_NAME.test(source.name)) throw fail(`the reward function name "${source.name}" may hold only letters, digits, _ and -`);
  if (!codeReward) throw fail(`the reward function "${source.name}" is code, and this engine cannot run code`);
  try {
    return codeReward(source.source, { name: source.name, timeLimitMs: source.timeLimitMs });
  } catch (e) {
    if (e instanceof RewardFunctionError) throw fail(`the reward function "${source.name}": ${e.message}`);
    throw e;
  }
}
