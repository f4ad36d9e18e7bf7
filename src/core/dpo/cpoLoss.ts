/**
 * CPO's loss (Xu et al. 2024, Contrastive Preference Optimization) and SimPO (Meng et al. 2024) as
 * TRL's CPOTrainer computes them: no reference model; the policy's own log-probs stand in for the
 * log-ratios, plus cpo_alpha times the NLL of the chosen completion (behaviour cloning):
 *   logits = chosen_logps - rejected_logps   (per-token AVERAGES for ipo and simpo, SUMS otherwise)
 *   sigmoid: -(1 - eps) logsigmoid(beta logits) - eps logsigmoid(-beta logits)
 *   simpo:   the same on logits - simpo_gamma / beta   (margin gamma on beta * logits)
 *   hinge:   relu(1 - beta logits)
 *   ipo:     (logits - 1 / (2 beta))^2
 *   loss = mean(losses) + cpo_alpha * nll_loss,   nll_loss = 0 when cpo_alpha is 0 (TRL skips it)
 * Optionally AlphaPO (Gupta et al. 2025, TRL's `alpha`): rewards r = (1 - P^-alpha) / alpha replace
 * the log-probs.
 */
import * as tf from '@tensorflow/tfjs';
import type { CpoLossType } from './dpoConfig.ts';
import { CPO_LOSS_TYPES } from './dpoConfig.ts';
import { perToken, smoothedLogisticLoss } from './stableMath.ts';

export type { CpoLossType };
export { CPO_LOSS_TYPES };

export const CPO_LOSS_DESCRIPTIONS: Record<CpoLossType, string> = {
  sigmoid: 'CPO: DPO\'s logistic loss on the policy\'s own log-probs (no reference model) plus imitating the chosen answer. Xu et al. 2024, CPO.',
  hinge: 'CPO with a hinge: stops pushing once the scaled log-prob gap reaches 1. Xu et al. 2024 / Zhao et al. 2023.',
  ipo: 'CPO with IPO\'s squared loss on per-token log-probs, aiming the gap at 1/(2 beta). Azar et al. 2023.',
  simpo: 'SimPO: per-token log-probs, no reference, and a target margin simpo_gamma; set cpo_alpha to 0 for pure SimPO. Meng et al. 2024, SimPO.',
};

export interface CpoLossInputs {
  /** [B] SUMS of token log-probs (averaged here for ipo and simpo). */
  chosen_logps: tf.Tensor1D;
  rejected_logps: tf.Tensor1D;
  chosen_lengths: tf.Tensor1D;
  rejected_lengths: tf.Tensor1D;
  /** Mean token NLL of the chosen completions over the batch. */
  chosen_nll: tf.Scalar;
}

export interface CpoLossParams {
  beta: number;
  /** Conservative smoothing for sigmoid and simpo. TRL: 0. */
  label_smoothing: number;
  /** SimPO's target margin (on beta * logits). TRL: 0.5. */
  simpo_gamma: number;
  /** Weight of the chosen completion's NLL. TRL: 1.0 (0 for pure SimPO). */
  cpo_alpha: number;
  /** AlphaPO's alpha; 0 (default) keeps log-probs as rewards. */
  alpha?: number;
}

export interface CpoLossOutputs {
  loss: tf.Scalar;
  /** [B] per-pair preference losses. */
  losses: tf.Tensor1D;
  /** [B] beta * (averaged for ipo/simpo) log-prob, or beta * AlphaPO reward: metrics only. */
  chosen_rewards: tf.Tensor1D;
  rejected_rewards: tf.Tensor1D;
  /** chosen_nll, or 0 when cpo_alpha is 0. */
  nll_loss: tf.Scalar;
}

/**
 * Cap on AlphaPO's exponent -alpha * logp: TRL has none, and P^-alpha overflows float32 for
 * improbable completions; at 30 even ipo's square of the reward stays finite.
 */
export const ALPHA_PO_EXP_CAP = 30;

/** (1 - P^-alpha) / alpha = (1 - exp(-alpha logp)) / alpha. */
function alphaPoReward(logps: tf.Tensor1D, alpha: number): tf.Tensor1D {
  return tf.div(tf.sub(1, tf.exp(tf.minimum(tf.mul(logps, -alpha), ALPHA_PO_EXP_CAP))), alpha) as tf.Tensor1D;
}

export function cpoLoss(type: CpoLossType, x: CpoLossInputs, p: CpoLossParams): CpoLossOutputs {
  if (!CPO_LOSS_TYPES.includes(type)) throw new Error(`unknown CPO loss type '${String(type)}'; choose from ${CPO_LOSS_TYPES.join(', ')}`);
  const averaged = type === 'ipo' || type === 'simpo';
  const chosenLogps = averaged ? perToken(x.chosen_logps, x.chosen_lengths) : x.chosen_logps;
  const rejectedLogps = averaged ? perToken(x.rejected_logps, x.rejected_lengths) : x.rejected_logps;
  const alpha = p.alpha ?? 0;
  const chosen = alpha !== 0 ? alphaPoReward(chosenLogps, alpha) : chosenLogps;
  const rejected = alpha !== 0 ? alphaPoReward(rejectedLogps, alpha) : rejectedLogps;
  const logits = tf.sub(chosen, rejected);

  let losses: tf.Tensor;
  if (type === 'simpo') losses = smoothedLogisticLoss(tf.mul(tf.sub(logits, p.simpo_gamma / p.beta), p.beta), p.label_smoothing);
  else if (type === 'sigmoid') losses = smoothedLogisticLoss(tf.mul(logits, p.beta), p.label_smoothing);
  else if (type === 'hinge') losses = tf.relu(tf.sub(1, tf.mul(logits, p.beta)));
  else losses = tf.square(tf.sub(logits, 1 / (2 * p.beta)));

  const nll_loss = p.cpo_alpha === 0 ? tf.scalar(0) : x.chosen_nll;
  return {
    loss: tf.add(tf.mean(losses), tf.mul(nll_loss, p.cpo_alpha)) as tf.Scalar,
    losses: losses as tf.Tensor1D,
    chosen_rewards: tf.mul(chosen, p.beta) as tf.Tensor1D,
    rejected_rewards: tf.mul(rejected, p.beta) as tf.Tensor1D,
    nll_loss,
  };
}
