/**
 * KTO's loss (Ethayarajh et al. 2024, Kahneman-Tversky Optimization) as TRL's KTOTrainer.kto_loss
 * computes it: unpaired data, each completion labelled desirable ("chosen") or undesirable
 * ("rejected"); either side may be empty in a batch. With the reference point z0 = KL estimate,
 *   desirable:   desirable_weight   * (1 - sigmoid(beta * (chosen_logratio - z0)))
 *   undesirable: undesirable_weight * (1 - sigmoid(beta * (z0 - rejected_logratio)))
 * concatenated [chosen..., rejected...]; the batch loss is their mean. 1 - sigmoid(u) is computed as
 * sigmoid(-u) (the same value, without cancellation near 1).
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from './stableMath.ts';

/** TRL's KTOConfig.loss_type: 'kto', or 'apo_zero_unpaired' (APO-zero without pairs, no KL reference point). */
export type KtoLossType = 'kto' | 'apo_zero_unpaired';

/**
 * The reference point z0: mean over the batch's mismatched ("KL") completions of
 * log pi - log pi_ref, clamped at 0, no gradient (TRL computes it under no_grad and detaches it).
 * Inputs [N] (sums of token log-probs); an empty batch gives 0, as TRL does when it skips the KL term.
 */
export function ktoKlEstimate(policy_kl_logps: tf.Tensor1D, ref_kl_logps: tf.Tensor1D): tf.Scalar {
  if (policy_kl_logps.size === 0) return tf.scalar(0);
  return stopGradient(tf.maximum(tf.mean(tf.sub(policy_kl_logps, ref_kl_logps)), 0)) as tf.Scalar;
}

export interface KtoLossInputs {
  /** [Nd] summed log-probs of the desirable completions under the policy (Nd may be 0). */
  policy_chosen_logps: tf.Tensor1D;
  /** [Nu] the undesirable completions (Nu may be 0). */
  policy_rejected_logps: tf.Tensor1D;
  ref_chosen_logps: tf.Tensor1D;
  ref_rejected_logps: tf.Tensor1D;
  /** From ktoKlEstimate (0 for apo_zero_unpaired or when not computed). */
  kl: tf.Scalar;
}

export interface KtoLossParams {
  beta: number;
  desirable_weight: number;
  undesirable_weight: number;
  /** Default 'kto'. */
  loss_type?: KtoLossType;
}

export interface KtoLossOutputs {
  /** [Nd + Nu]: weighted desirable losses, then weighted undesirable ones. */
  losses: tf.Tensor1D;
  /** beta * logratio of each desirable [Nd] / undesirable [Nu] completion: metrics only. */
  chosen_rewards: tf.Tensor1D;
  rejected_rewards: tf.Tensor1D;
  /** mean(losses); 0 when the batch is empty on both sides (TRL's nanmean would give NaN). */
  loss: tf.Scalar;
}

export function ktoLoss(x: KtoLossInputs, p: KtoLossParams): KtoLossOutputs {
  const type = p.loss_type ?? 'kto';
  const kl = stopGradient(x.kl); // the reference point never carries gradient, whoever computed it
  const chosenLogratios = tf.sub(x.policy_chosen_logps, x.ref_chosen_logps);
  const rejectedLogratios = tf.sub(x.policy_rejected_logps, x.ref_rejected_logps);
  // Eq. (7) of the KTO paper; apo_zero_unpaired drops the reference point.
  const chosenLosses = type === 'kto'
    ? tf.sigmoid(tf.mul(tf.sub(kl, chosenLogratios), p.beta)) // 1 - sigmoid(beta (logratio - z0))
    : tf.sigmoid(tf.mul(chosenLogratios, -p.beta)); // 1 - sigmoid(beta logratio)
  const rejectedLosses = type === 'kto'
    ? tf.sigmoid(tf.mul(tf.sub(rejectedLogratios, kl), p.beta)) // 1 - sigmoid(beta (z0 - logratio))
    : tf.sigmoid(tf.mul(rejectedLogratios, p.beta));
  const losses = tf.concat([tf.mul(chosenLosses, p.desirable_weight), tf.mul(rejectedLosses, p.undesirable_weight)]) as tf.Tensor1D;
  return {
    losses,
    chosen_rewards: tf.mul(chosenLogratios, p.beta) as tf.Tensor1D,
    rejected_rewards: tf.mul(rejectedLogratios, p.beta) as tf.Tensor1D,
    loss: losses.size === 0 ? tf.scalar(0) : (tf.mean(losses) as tf.Scalar),
  };
}
