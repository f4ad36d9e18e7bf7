import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { combineRewards, grpoAdvantages, nanMean, nanStd, rlooAdvantages, rlooKlPenalisedRewards, withoutUnjudged } from '../../src/core/grpo/groupAdvantages.ts';
import { rewardFailuresEvents } from '../../src/core/grpo/stepRewards.ts';
import { defaultGrpoConfig, validateGrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { grpoLoss, rlooLoss, type GrpoLossType } from '../../src/core/grpo/grpoLoss.ts';
import { setupWasm } from './tfSetup.ts';

const close = (got: readonly number[], want: readonly number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(v, `[${i}]`).toBeCloseTo(want[i], digits));
};

beforeAll(setupWasm);

/*
 * Two prompts x G = 2 completions, rewards [1, 3 | 2, 2].
 *   group 0: mean 2, sample std sqrt(((1-2)^2 + (3-2)^2) / 1) = sqrt 2 = 1.4142136
 *            'group' advantages -+1 / (1.4142136 + 1e-4) = -+0.7070568
 *   group 1: mean 2, std 0 -> advantages 0 / (0 + 1e-4) = 0: nothing to learn from a tie
 *   reward = mean of group means = 2;  reward_std = mean of [1.414, 1.414, 0, 0] = 0.7071068
 *   frac_reward_zero_std = 2 of 4 completions sit in a zero-std group = 0.5
 *   'batch': std of all four = sqrt((1 + 1 + 0 + 0) / 3) = 0.8164966 -> -+1 / 0.8165966 = -+1.2245949;
 *            no completion has a zero batch std -> frac 0
 *   'none': advantages are the centred rewards [-1, 1, 0, 0]; the group std is still logged
 */
describe('GRPO group advantages (TRL scale_rewards)', () => {
  const rewards = [1, 3, 2, 2];
  it("'group' divides by the group's std + 1e-4 and counts zero-std groups", () => {
    const a = grpoAdvantages(rewards, 2, 'group');
    close(a.advantages, [-0.7070568, 0.7070568, 0, 0]);
    close(a.mean_grouped_rewards, [2, 2]);
    expect(a.reward).toBeCloseTo(2, 6);
    expect(a.reward_std).toBeCloseTo(0.7071068, 6);
    expect(a.frac_reward_zero_std).toBe(0.5);
  });
  it("'batch' divides by the whole batch's std + 1e-4", () => {
    const a = grpoAdvantages(rewards, 2, 'batch');
    close(a.advantages, [-1.2245949, 1.2245949, 0, 0]);
    expect(a.reward_std).toBeCloseTo(0.8164966, 6);
    expect(a.frac_reward_zero_std).toBe(0);
  });
  it("'none' only centres (Dr. GRPO) but logs the group std", () => {
    const a = grpoAdvantages(rewards, 2, 'none');
    close(a.advantages, [-1, 1, 0, 0]);
    expect(a.reward_std).toBeCloseTo(0.7071068, 6);
    expect(a.frac_reward_zero_std).toBe(0.5);
  });
});

/*
 * RLOO, one prompt x G = 4, rewards [1, 2, 3, 4], group sum 10:
 *   baselines (10 - r) / 3 = [3, 8/3, 7/3, 2] -> advantages [-2, -2/3, 2/3, 2]
 *   normalize_advantages: mean 0, sample std sqrt((4 + 4/9 + 4/9 + 4) / 3) = 1.7213259
 *     -> [-2, -2/3, 2/3, 2] / 1.7214259 = [-1.1618275, -0.3872758, 0.3872758, 1.1618275]
 */
describe('RLOO leave-one-out advantages', () => {
  it('subtracts the mean of the other completions of the group', () => {
    const a = rlooAdvantages([1, 2, 3, 4], 4, false);
    close(a.advantages, [-2, -2 / 3, 2 / 3, 2]);
    expect(a.reward).toBeCloseTo(2.5, 6);
    expect(a.frac_reward_zero_std).toBe(0);
  });
  it('normalize_advantages standardises over the batch', () => {
    close(rlooAdvantages([1, 2, 3, 4], 4, true).advantages, [-1.1618275, -0.3872758, 0.3872758, 1.1618275]);
  });
  it('a tied group gets zero advantages and counts as zero-std', () => {
    const a = rlooAdvantages([5, 5, 1, 3], 2, false);
    close(a.advantages, [0, 0, -2, 2]);
    expect(a.frac_reward_zero_std).toBe(0.5);
  });
  /*
   * KL in the reward: row 0 sums (-1 - -1.5) + (-2 - -1) = 0.5 - 1 = -0.5 -> 1 - 0.1 * -0.5 = 1.05;
   * row 1's second token is padding (mask 0), its first has logprob = ref -> kl 0 -> reward 1.
   */
  it('beta puts the summed k1 KL of each completion into its reward', () => {
    const r = rlooKlPenalisedRewards([1, 1], [[-1, -2], [-1, -1]], [[-1.5, -1], [-1, -2]], [[1, 1], [1, 0]], 0.1);
    close(r.kl, [-0.5, 0]);
    close(r.rewards, [1.05, 1]);
  });
});

/*
 * Two functions over three completions, weights [1, 0.5]:
 *   completion 0: 1 * 1 + 0.5 * 2 = 2;  completion 1: NaN skipped, 0.5 * 4 = 2;  completion 2: both NaN -> NaN
 */
describe('reward_weights and NaN ("cannot judge")', () => {
  it('nansum of weighted scores; NaN only where no function judged', () => {
    const r = combineRewards([[1, NaN, NaN], [2, 4, NaN]], [1, 0.5]);
    expect(r[0]).toBe(2);
    expect(r[1]).toBe(2);
    expect(r[2]).toBeNaN();
    // rewards/<name>/mean and std skip NaN: [2, 4] -> mean 3, sample std sqrt(2) = 1.4142136.
    expect(nanMean([2, 4, NaN])).toBe(3);
    expect(nanStd([2, 4, NaN])).toBeCloseTo(Math.SQRT2, 6);
  });
});

/*
 * The per-token GRPO loss on B = 2 completions x T = 3 slots, epsilon = epsilon_high = 0.2.
 *   mask [[1, 1, 0], [1, 1, 1]]: row 0's last slot is padding (its ratio e^5 must not count).
 *   ratios exp(logp - old): row 0 [1.5, 1, e^5], row 1 [0.5, 1, 1]; advantages [1, -1].
 *   row 0 (A = 1):  slot 0 -min(1.5, 1.2) = -1.2 (high-clipped);  slot 1 -min(1, 1) = -1
 *   row 1 (A = -1): slot 0 -min(-0.5, -0.8) = 0.8 (low-clipped);  slots 1, 2: 1, 1
 *   grpo:    mean(-2.2 / 2, 2.8 / 3) = (-1.1 + 0.9333333) / 2 = -0.0833333
 *   bnpo:    (-2.2 + 2.8) / 5 tokens = 0.12
 *   dr_grpo: 0.6 / (2 * max_completion_length 3) = 0.1
 *   dapo:    0.6 / num_items_in_batch 10 = 0.06
 *   clip_ratio: low 1 / 5 = 0.2, high 1 / 5 = 0.2, region 2 / 5 = 0.4
 * beta 0.1 with ref - logp = ln 2 at row 0 slot 0 (0 elsewhere): k3 = 2 - ln 2 - 1 = 0.3068528,
 *   bnpo (0.6 + 0.1 * 0.3068528) / 5 = 0.1261371; kl = 0.3068528 / 5 = 0.0613706.
 */
describe('GRPO per-token loss (TRL _compute_loss)', () => {
  const logp = [[-1, -1, -1], [-2, -2, 0]];
  const old = [[-1 - Math.log(1.5), -1, -6], [-2 - Math.log(0.5), -2, 0]];
  const ref = [[-1 + Math.log(2), -1, -1], [-2, -2, 0]];
  const mask = [[1, 1, 0], [1, 1, 1]];
  const run = (loss_type: GrpoLossType, beta = 0) =>
    tf.tidy(() => {
      const out = grpoLoss(
        { logprobs: tf.tensor2d(logp), old_logprobs: tf.tensor2d(old), ref_logprobs: tf.tensor2d(ref), advantages: tf.tensor1d([1, -1]), mask: tf.tensor2d(mask) },
        { epsilon: 0.2, epsilon_high: 0.2, beta, loss_type, max_completion_length: 3, num_items_in_batch: 10 },
      );
      return [out.loss, out.kl, out.clip_low, out.clip_high, out.clip_region].map((t) => t.dataSync()[0]);
    });
  it('reduces by loss_type', () => {
    expect(run('grpo')[0]).toBeCloseTo(-0.0833333, 5);
    expect(run('bnpo')[0]).toBeCloseTo(0.12, 5);
    expect(run('dr_grpo')[0]).toBeCloseTo(0.1, 5);
    expect(run('dapo')[0]).toBeCloseTo(0.06, 5);
  });
  it('logs clip_ratio over unmasked tokens, by direction', () => {
    close(run('bnpo').slice(2), [0.2, 0.2, 0.4]);
  });
  it('adds beta * k3 KL per token', () => {
    const [loss, kl] = run('bnpo', 0.1);
    expect(loss).toBeCloseTo(0.1261371, 5);
    expect(kl).toBeCloseTo(0.0613706, 5);
  });
  /*
   * On-policy (old = logp detached): ratio 1, loss per token -A, and for 'grpo'
   * d loss / d logp = -A / (len(row) * B): row 0 -1 / (2 * 2) = -0.25 on its 2 tokens (0 on
   * padding), row 1 +1 / (3 * 2) = 1/6 on each.
   */
  it('on-policy, the ratio is 1 and the gradient is -A per token, normalised', () => {
    const n0 = tf.memory().numTensors;
    const grad = tf.tidy(() => {
      const g = tf.grad((lp: tf.Tensor) => grpoLoss({ logprobs: lp as tf.Tensor2D, old_logprobs: null, ref_logprobs: null, advantages: tf.tensor1d([1, -1]), mask: tf.tensor2d(mask) }, { epsilon: 0.2, epsilon_high: 0.2, beta: 0, loss_type: 'grpo', max_completion_length: 3, num_items_in_batch: 5 }).loss);
      return g(tf.tensor2d(logp));
    });
    close(Array.from(grad.dataSync()), [-0.25, -0.25, 0, 1 / 6, 1 / 6, 1 / 6]);
    grad.dispose();
    for (let i = 0; i < 3; i++) run('dapo', 0.1);
    expect(tf.memory().numTensors).toBe(n0);
  });
});

/*
 * RLOO's sequence-level loss: logps = masked sums [-3, -1]; old_logps chosen so the ratios are
 * [1.5, 0.5]; advantages [1, -1]: -min(1.5, 1.2) = -1.2 (high-clipped), -min(-0.5, -0.8) = 0.8
 * (low-clipped) -> mean -0.2; clip low 1/2, high 1/2, region 1.
 */
describe('RLOO sequence-level loss', () => {
  it('clips the ratio of whole completions', () => {
    const got = tf.tidy(() => {
      const out = rlooLoss({ logprobs: tf.tensor2d([[-1, -2], [-1, -7]]), old_logps: tf.tensor1d([-3 - Math.log(1.5), -1 - Math.log(0.5)]), advantages: tf.tensor1d([1, -1]), mask: tf.tensor2d([[1, 1], [1, 0]]) }, { epsilon: 0.2, epsilon_high: 0.2 });
      return [out.loss, out.clip_low, out.clip_high, out.clip_region].map((t) => t.dataSync()[0]);
    });
    close(got, [-0.2, 0.5, 0.5, 1]);
  });
});

describe('GRPOConfig validation', () => {
  it('accepts the defaults and names bad fields', () => {
    expect(validateGrpoConfig(defaultGrpoConfig())).toEqual([]);
    expect(validateGrpoConfig(defaultGrpoConfig('rloo'))).toEqual([]);
    const fields = validateGrpoConfig({ ...defaultGrpoConfig(), num_generations: 1, loss_type: 'sum' as never, per_device_train_batch_size: 30, scale_rewards: 'yes' as never }, 1).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['num_generations', 'loss_type', 'scale_rewards']));
    expect(validateGrpoConfig({ ...defaultGrpoConfig(), per_device_train_batch_size: 30 }).map((e) => e.field)).toEqual(['per_device_train_batch_size']);
    expect(validateGrpoConfig({ ...defaultGrpoConfig(), reward_weights: [1, 2] }, 1).map((e) => e.field)).toEqual(['reward_weights']);
  });
});

/*
 * Unjudged completions (reward NaN: no function judged them) are left out. GRPO, G = 3,
 * rewards [1, NaN, 3 | 2, NaN, NaN | NaN, NaN, NaN]:
 *   group 0 judges [1, 3]: mean 2, std sqrt((1 + 1) / 1) = 1.4142136 -> -+1 / 1.4143136 = -+0.7070568, NaN -> 0
 *   group 1 judges only [2]: nothing to compare, advantages 0, std 0; group 2 judges none: mean NaN, std 0
 *   over the judged completions (0, 2, 3): reward = (2 + 2 + 2) / 3 = 2,
 *   reward_std = (1.4142136 + 1.4142136 + 0) / 3 = 0.9428090, frac_reward_zero_std = 1 / 3
 *   'batch': judged [1, 3, 2], mean 2, std sqrt((1 + 1 + 0) / 2) = 1 -> -+1 / 1.0001 = -+0.9999000; group 1 still 0
 */
describe('unjudged completions (reward NaN) are left out of the group statistics', () => {
  const rewards = [1, NaN, 3, 2, NaN, NaN, NaN, NaN, NaN];
  it('GRPO: mean and std over the judged completions of each group; fewer than 2 judged -> advantage 0', () => {
    const a = grpoAdvantages(rewards, 3, 'group');
    close(a.advantages, [-0.7070568, 0, 0.7070568, 0, 0, 0, 0, 0, 0]);
    expect(a.mean_grouped_rewards).toEqual([2, 2, NaN]);
    expect(a.reward).toBeCloseTo(2, 6);
    expect(a.reward_std).toBeCloseTo(0.942809, 6);
    expect(a.frac_reward_zero_std).toBeCloseTo(1 / 3, 10);
    const b = grpoAdvantages(rewards, 3, 'batch');
    close(b.advantages, [-0.9999, 0, 0.9999, 0, 0, 0, 0, 0, 0]);
    expect(b.reward_std).toBeCloseTo(1, 6);
    expect(b.frac_reward_zero_std).toBe(0);
    close(grpoAdvantages(rewards, 3, 'none').advantages, [-1, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  /*
   * RLOO, G = 3, rewards [1, NaN, 4 | 2, NaN, NaN | 3, 5, 1]:
   *   group 0 judges [1, 4] (k = 2): 1 - 4 / 1 = -3, 4 - 1 = 3; group 1 judges one: 0
   *   group 2 judges all (sum 9): 3 - 6/2 = 0, 5 - 4/2 = 3, 1 - 8/2 = -3
   *   group means [2.5, 2, 3] -> reward 2.5; stds [2.1213203, 0, 2] -> reward_std 1.3737734, frac 1/3
   *   normalize over the 5 that learn, [-3, 3, 0, 3, -3]: mean 0, std sqrt(36 / 4) = 3 -> -+3 / 3.0001 = -+0.9999667
   */
  it('RLOO: the leave-one-out baseline over the judged completions of the group', () => {
    const r = [1, NaN, 4, 2, NaN, NaN, 3, 5, 1];
    const a = rlooAdvantages(r, 3, false);
    close(a.advantages, [-3, 0, 3, 0, 0, 0, 0, 3, -3]);
    expect(a.reward).toBeCloseTo(2.5, 6);
    expect(a.reward_std).toBeCloseTo(1.3737734, 6);
    expect(a.frac_reward_zero_std).toBeCloseTo(1 / 3, 10);
    close(rlooAdvantages(r, 3, true).advantages, [-0.9999667, 0, 0.9999667, 0, 0, 0, 0, 0.9999667, -0.9999667]);
  });

  it('nothing judged: every advantage 0 and no reward; the loss-mask rows of unjudged completions are zeroed', () => {
    const none = [NaN, NaN, NaN, NaN];
    for (const a of [grpoAdvantages(none, 2, 'group'), rlooAdvantages(none, 2, true)]) {
      expect(a.advantages).toEqual([0, 0, 0, 0]);
      expect(a.reward).toBeNaN();
    }
    expect(withoutUnjudged([[1, 1, 0], [1, 0, 0]], [NaN, 2])).toEqual([[0, 0, 0], [1, 0, 0]]);
  });
});

describe('a step\'s reward failures', () => {
  it('shows the first 5 failures of each function and counts them all', () => {
    const failure = (fn: string, index: number) => ({ function: fn, reason: 'Error: x', line: 2, index, prompt: 'p', completion: 'c' });
    const failures = [...Array.from({ length: 7 }, (_, i) => failure('a', i)), failure('b', 3)];
    const [event] = rewardFailuresEvents(4, failures);
    expect(event).toEqual({ type: 'rewardFailures', step: 4, failures: [...failures.slice(0, 5), failures[7]], counts: { a: 7, b: 1 } });
    expect(rewardFailuresEvents(4, [])).toEqual([]);
  });
});
