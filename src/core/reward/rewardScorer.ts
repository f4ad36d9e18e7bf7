/**
 * Scoring (prompt, completion) pairs with a stored reward model, for the scoring view and the
 * labeling stage's suggestion hint. The last model loaded is kept, so scoring record after record
 * with the same checkpoint does not rebuild it each time.
 */
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { loadRewardModel, type LoadedRewardModel } from './rewardCheckpoint.ts';
import { encodeForReward } from './rewardData.ts';
import { scoreSequences } from './rewardEval.ts';

export interface ScoreItem {
  prompt: string;
  completion: string;
}

/** FNV-1a over the weights' 32-bit words: tells checkpoints apart without keeping them. */
function fingerprint(files: CheckpointFiles): string {
  const words = new Uint32Array(files.model, 0, Math.floor(files.model.byteLength / 4));
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return `${files.model.byteLength}:${h >>> 0}:${files.config.length}`;
}

/** The max_length the model was trained with (its context when unknown). */
function trainedMaxLength(loaded: LoadedRewardModel): number {
  const runConfig = loaded.info.run_config as { max_length?: unknown } | null;
  const n = loaded.model.trunk.config.n_positions;
  const m = runConfig?.max_length;
  return typeof m === 'number' && Number.isInteger(m) && m > 1 ? Math.min(m, n) : n;
}

export class RewardScorer {
  private cached: { key: string; loaded: LoadedRewardModel } | null = null;

  async score(files: CheckpointFiles, items: readonly ScoreItem[]): Promise<number[]> {
    const loaded = this.load(files);
    const maxLength = trainedMaxLength(loaded);
    const seqs = items.map((it) => encodeForReward(loaded.tokenizer, it.prompt, it.completion, maxLength).ids);
    return Array.from(await scoreSequences(loaded.model, seqs, loaded.tokenizer.eosId));
  }

  private load(files: CheckpointFiles): LoadedRewardModel {
    const key = fingerprint(files);
    if (this.cached?.key === key) return this.cached.loaded;
    const loaded = loadRewardModel(files, 0);
    if (!loaded.hadScoreHead) {
      loaded.model.dispose();
      throw new Error('this checkpoint is a language model, not a reward model: train a reward model first (it has no score.weight head)');
    }
    this.dispose();
    this.cached = { key, loaded };
    return loaded;
  }

  dispose(): void {
    this.cached?.loaded.model.dispose();
    this.cached = null;
  }
}
