import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { averageRows, logSigmoid, rewardLoss, rewardLossValue, rewardMetrics } from '../../src/core/reward/rewardLoss.ts';
import { goldAccuracy, mostWrongPairs, type ScoredPair } from '../../src/core/reward/rewardEval.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

async function lossOf(chosen: number[], rejected: number[], margin: number[] | null, coef: number | null): Promise<number> {
  const t = tf.tidy(() => rewardLoss(tf.tensor1d(chosen), tf.tensor1d(rejected), margin ? tf.tensor1d(margin) : null, coef));
  const [v] = await t.data();
  t.dispose();
  return v;
}

describe('reward loss (TRL RewardTrainer)', () => {
  it('is -logsigmoid(r_chosen - r_rejected).mean()', async () => {
    // Differences 2 and 0: -log sigmoid(2) = log(1 + e^-2) = 0.126928, -log sigmoid(0) = log 2 = 0.693147;
    // mean = 0.410038.
    expect(await lossOf([2, 0], [0, 0], null, null)).toBeCloseTo(0.410038, 5);
    expect(rewardLossValue([2, 0], [0, 0], null, null)).toBeCloseTo(0.410038, 6);
  });

  it('subtracts the margin inside the sigmoid', async () => {
    // Differences minus margin 1: 1 and -1. log(1 + e^-1) = 0.313262, log(1 + e) = 1.313262; mean = 0.813262.
    expect(await lossOf([2, 0], [0, 0], [1, 1], null)).toBeCloseTo(0.813262, 5);
    expect(rewardLossValue([2, 0], [0, 0], [1, 1], null)).toBeCloseTo(0.813262, 6);
  });

  it('adds center_rewards_coefficient * mean((r_chosen + r_rejected)^2)', async () => {
    // Sums 2 and 0, squared 4 and 0, mean 2; times 0.01 = 0.02 on top of 0.410038.
    expect(await lossOf([2, 0], [0, 0], null, 0.01)).toBeCloseTo(0.430038, 5);
    expect(rewardLossValue([2, 0], [0, 0], null, 0.01)).toBeCloseTo(0.430038, 6);
  });

  it('stays finite for very large reward gaps', async () => {
    // -log sigmoid(-200) = 200 (+ log(1 + e^-200) ~ 0); -log sigmoid(200) ~ e^-200 ~ 0.
    expect(await lossOf([-100, 100], [100, -100], null, null)).toBeCloseTo(100, 3);
    const t = tf.tidy(() => logSigmoid(tf.tensor1d([-200, 0, 200])));
    expect(Array.from(await t.data()).map((x) => Math.round(x * 1e4) / 1e4)).toEqual([-200, -0.6931, 0]);
    t.dispose();
  });

  it('has the gradient sigmoid(d) - 1 per pair, over the batch size', async () => {
    // d/dr_c of -mean(log sigmoid(r_c - r_r)) = -(1 - sigmoid(d)) / n. d = 0, n = 1: -0.5.
    const g = tf.grad((c: tf.Tensor) => rewardLoss(c as tf.Tensor1D, tf.tensor1d([0]), null, null))(tf.tensor1d([0]));
    expect((await g.data())[0]).toBeCloseTo(-0.5, 6);
    g.dispose();
  });
});

describe('reward metrics (TRL reward logs)', () => {
  it('accuracy, margin, mean/min/max reward', () => {
    // Pairs (2, 0), (0, 0), (1, 3): right, tie (counts as wrong), wrong -> accuracy 1/3.
    // Margins 2, 0, -2 -> mean 0. Rewards 2, 0, 0, 0, 1, 3 -> mean 1, min 0, max 3.
    const m = rewardMetrics([2, 0, 1], [0, 0, 3]);
    expect(m.accuracy).toBeCloseTo(1 / 3, 10);
    expect(m).toMatchObject({ margin: 0, mean_reward: 1, min_reward: 0, max_reward: 3 });
  });

  it('averages rows over a logging window as TRL does at log time', () => {
    expect(averageRows([{ loss: 1, accuracy: 0.5 }, { loss: 3, accuracy: 1 }])).toEqual({ loss: 2, accuracy: 0.75 });
  });

  it('gold accuracy leaves out the pairs gold calls a tie', () => {
    // Pair 0: gold says chosen, model agrees. Pair 1: gold says rejected, model ranks chosen higher: wrong.
    // Pair 2: tie, not counted. -> 1 / 2.
    expect(goldAccuracy([1, 1, 0], [0, 0, 5], ['chosen', 'rejected', 'tie'])).toBe(0.5);
    expect(goldAccuracy([1], [0], ['tie'])).toBeNaN();
  });

  it('most wrong: the lowest reward margins first', () => {
    const pair = (index: number, rewardChosen: number, rewardRejected: number): ScoredPair => ({ index, prompt: '', chosen: '', rejected: '', rewardChosen, rewardRejected, gold: 'chosen' });
    const ranked = mostWrongPairs([pair(0, 1, 0), pair(1, 0, 3), pair(2, 0, 1), pair(3, 5, 0)], 3);
    expect(ranked.map((p) => p.index)).toEqual([1, 2, 0]);
  });
});
