/**
 * Held-out evaluation of a reward model: rewards for every held-out pair (a forward pass only),
 * TRL's eval metrics, accuracy against the simulated annotator's gold preference, and the pairs
 * the model gets most wrong, for the scoring view.
 */
import * as tf from '@tensorflow/tfjs';
import type { PreferencePair } from '../preferences/types.ts';
import { padBatch, type EncodedPair } from './rewardData.ts';
import { rewardLossValue, rewardMetrics } from './rewardLoss.ts';
import type { RewardModel } from './rewardModel.ts';

/** Which side the gold preference picks for a pair: its chosen, its rejected, or neither. */
export type GoldVerdict = 'chosen' | 'rejected' | 'tie';

export interface ScoredPair {
  /** Index in the run's dataset. */
  index: number;
  prompt: string;
  chosen: string;
  rejected: string;
  rewardChosen: number;
  rewardRejected: number;
  gold: GoldVerdict;
}

/** What the scoring view shows after each held-out evaluation. */
export interface RewardEvalReport {
  step: number;
  /** Rewards of the held-out chosen and rejected completions (same order), for the histograms. */
  chosen: number[];
  rejected: number[];
  /** The held-out pairs with the lowest r_chosen - r_rejected: the wrongly ranked ones first, most confident first. */
  mostWrong: ScoredPair[];
}

/** Rows (sequences) per forward pass when only scoring. */
const SCORE_BATCH_ROWS = 32;
export const MOST_WRONG_COUNT = 8;

/** Rewards of token sequences, in order, a forward pass at a time. */
export async function scoreSequences(model: RewardModel, seqs: readonly number[][], padId: number): Promise<Float32Array> {
  const out = new Float32Array(seqs.length);
  for (let at = 0; at < seqs.length; at += SCORE_BATCH_ROWS) {
    const b = padBatch(seqs.slice(at, at + SCORE_BATCH_ROWS), padId);
    const r = tf.tidy(() => model.rewards(tf.tensor2d(b.ids, [b.rows, b.T], 'int32'), tf.tensor1d(b.lastIndex, 'int32')));
    out.set((await r.data()) as Float32Array, at);
    r.dispose();
  }
  return out;
}

/**
 * Fraction of pairs ranked as the gold preference ranks them; pairs gold calls a tie are left out.
 * NaN when gold has no opinion on any pair.
 */
export function goldAccuracy(rChosen: ArrayLike<number>, rRejected: ArrayLike<number>, gold: readonly GoldVerdict[]): number {
  let counted = 0;
  let right = 0;
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === 'tie') continue;
    counted++;
    if (gold[i] === 'chosen' ? rChosen[i] > rRejected[i] : rRejected[i] > rChosen[i]) right++;
  }
  return counted ? right / counted : NaN;
}

/** The `count` pairs with the lowest reward margin, lowest first. */
export function mostWrongPairs(scored: readonly ScoredPair[], count = MOST_WRONG_COUNT): ScoredPair[] {
  return [...scored].sort((a, b) => a.rewardChosen - a.rewardRejected - (b.rewardChosen - b.rewardRejected)).slice(0, count);
}

export interface HeldOutSet {
  encoded: EncodedPair[];
  /** The pairs' texts, by dataset index. */
  pairs: readonly PreferencePair[];
  gold: GoldVerdict[];
}

export async function evaluateRewardModel(model: RewardModel, heldOut: HeldOutSet, padId: number, step: number, centerRewardsCoefficient: number | null): Promise<{ row: Record<string, number>; report: RewardEvalReport }> {
  const { encoded, pairs, gold } = heldOut;
  const rewards = await scoreSequences(model, [...encoded.map((p) => p.chosen), ...encoded.map((p) => p.rejected)], padId);
  const n = encoded.length;
  const chosen = Array.from(rewards.subarray(0, n));
  const rejected = Array.from(rewards.subarray(n));
  const hasMargins = pairs.some((p) => p.margin !== undefined);
  const m = rewardMetrics(chosen, rejected);
  const row: Record<string, number> = {
    step,
    'eval/loss': rewardLossValue(chosen, rejected, hasMargins ? encoded.map((p) => p.margin) : null, centerRewardsCoefficient),
    'eval/accuracy': m.accuracy,
    'eval/margin': m.margin,
    'eval/mean_reward': m.mean_reward,
    'eval/min_reward': m.min_reward,
    'eval/max_reward': m.max_reward,
  };
  const ga = goldAccuracy(chosen, rejected, gold);
  if (Number.isFinite(ga)) row['eval/gold_accuracy'] = ga;
  const scored: ScoredPair[] = encoded.map((e, i) => {
    const p = pairs[e.index];
    return { index: e.index, prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, rewardChosen: chosen[i], rewardRejected: rejected[i], gold: gold[i] };
  });
  return { row, report: { step, chosen, rejected, mostWrong: mostWrongPairs(scored) } };
}
