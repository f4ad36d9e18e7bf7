/**
 * Where a PPO run's scores come from: a trained reward model (a reward checkpoint from
 * src/core/reward) or the simulated annotator's gold score (goldScore), as the request chooses.
 * The gold score is also logged beside a reward model's scores (gold/score_mean), which shows
 * reward hacking: the learned score rising while the true one does not.
 */
import { goldScore, HAPPY_ENDING_SPEC, type GoldSpec } from '../preferences/goldScore.ts';
import { loadRewardModel, type LoadedRewardModel } from '../reward/rewardCheckpoint.ts';
import { encodeForReward } from '../reward/rewardData.ts';
import { scoreSequences } from '../reward/rewardEval.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { ConfigError } from '../train/validate.ts';

export type PpoRewardSource = { kind: 'gold'; spec?: GoldSpec } | { kind: 'model'; files: CheckpointFiles };

/** Scores [B] of (prompt, completion) texts; completions exclude the end-of-text token. */
export interface PpoScorer {
  score(prompts: readonly string[], completions: readonly string[]): Promise<number[]>;
  dispose(): void;
}

export function goldScorer(spec: GoldSpec = HAPPY_ENDING_SPEC): PpoScorer {
  return {
    score: async (prompts, completions) => completions.map((c, i) => goldScore(prompts[i], c, spec)),
    dispose: () => undefined,
  };
}

/** The reward checkpoint as a scorer; refuses a language model or a tokenizer other than the policy's. */
export function rewardModelScorer(files: CheckpointFiles, policyTokenizer: Tokenizer): PpoScorer {
  let loaded: LoadedRewardModel;
  try {
    loaded = loadRewardModel(files, 0);
  } catch (e) {
    throw new ConfigError([{ field: 'reward', message: `the reward checkpoint cannot be read: ${(e as Error).message}` }]);
  }
  const fail = (message: string) => {
    loaded.model.dispose();
    throw new ConfigError([{ field: 'reward', message }]);
  };
  if (!loaded.hadScoreHead) fail('this checkpoint is a language model, not a reward model (it has no score.weight head)');
  if (JSON.stringify(loaded.tokenizer.toJSON()) !== JSON.stringify(policyTokenizer.toJSON())) {
    fail(`the reward model's tokenizer (${loaded.tokenizer.vocabSize} tokens) differs from the policy's (${policyTokenizer.vocabSize} tokens); train the reward model from the same base`);
  }
  const maxLength = loaded.model.trunk.config.n_positions;
  return {
    async score(prompts, completions) {
      const seqs = completions.map((c, i) => encodeForReward(loaded.tokenizer, prompts[i], c, maxLength).ids);
      return Array.from(await scoreSequences(loaded.model, seqs, loaded.tokenizer.eosId));
    },
    dispose: () => loaded.model.dispose(),
  };
}

export function makeScorer(source: PpoRewardSource, policyTokenizer: Tokenizer): PpoScorer {
  return source.kind === 'gold' ? goldScorer(source.spec) : rewardModelScorer(source.files, policyTokenizer);
}
