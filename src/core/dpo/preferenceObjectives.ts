/**
 * One table entry per method (DPO, KTO, ORPO, CPO): from the policy's log-probs of a batch of pairs
 * (and the reference's, where the method has one) to the loss, the implicit rewards and the
 * method's own metrics, with the loss functions of dpoLosses.ts, ktoLoss.ts, orpoLoss.ts and
 * cpoLoss.ts. Then TRL's shared metrics, stacked into one tensor so a step leaves a single small
 * tensor to read at log time. Call inside tf.tidy (the optimizer step's loss closure).
 */
import * as tf from '@tensorflow/tfjs';
import { cpoLoss } from './cpoLoss.ts';
import type { DpoRunConfig, PreferenceMethod } from './dpoConfig.ts';
import { combinedDpoLoss, defaultDpoLossParams, type DpoLossParams } from './dpoLosses.ts';
import { ktoKlEstimate, ktoLoss } from './ktoLoss.ts';
import { orpoLoss } from './orpoLoss.ts';
import type { PairLogps } from './sequenceLogps.ts';

/** What a step hands a method. All [B] unless noted. */
export interface ObjectiveInputs {
  policy: PairLogps;
  /** The reference's summed log-probs (zeros when reference-free; unused by ORPO and CPO). */
  ref_chosen_logps: tf.Tensor1D;
  ref_rejected_logps: tf.Tensor1D;
  /** KTO only: the policy's and the reference's log-probs of mismatched prompt/completion rows [K]. */
  kl_policy_logps?: tf.Tensor1D;
  kl_ref_logps?: tf.Tensor1D;
}

export interface ObjectiveOutput {
  loss: tf.Scalar;
  chosen_rewards: tf.Tensor1D;
  rejected_rewards: tf.Tensor1D;
  /** The method's own metrics (TRL's names), scalars. */
  extras: Record<string, tf.Scalar>;
}

export type Objective = (x: ObjectiveInputs, c: DpoRunConfig) => ObjectiveOutput;

/**
 * The DPO loss knobs of a run: the config's values over the losses' defaults. bco_pair's reward
 * shift stays 0, as in TRL 1.1 (older TRL kept a running mean of the rewards).
 */
export function dpoLossParams(c: DpoRunConfig): DpoLossParams {
  return {
    ...defaultDpoLossParams(),
    beta: c.beta,
    label_smoothing: c.label_smoothing,
    discopop_tau: c.discopop_tau,
    f_divergence_type: c.f_divergence_type,
    f_alpha_divergence_coef: c.f_alpha_divergence_coef,
  };
}

const dpo: Objective = (x, c) => {
  const p = x.policy;
  const out = combinedDpoLoss(c.loss_type, c.loss_weights, {
    chosen_logps: p.chosen_logps,
    rejected_logps: p.rejected_logps,
    ref_chosen_logps: x.ref_chosen_logps,
    ref_rejected_logps: x.ref_rejected_logps,
    chosen_lengths: p.chosen_lengths,
    rejected_lengths: p.rejected_lengths,
  }, dpoLossParams(c));
  return { loss: out.loss, chosen_rewards: out.chosen_rewards, rejected_rewards: out.rejected_rewards, extras: {} };
};

const kto: Objective = (x, c) => {
  // TRL's KTO: the KL baseline is the policy-vs-reference log ratio on mismatched pairs, with no gradient.
  const kl = ktoKlEstimate(x.kl_policy_logps!, x.kl_ref_logps!);
  const out = ktoLoss({
    policy_chosen_logps: x.policy.chosen_logps,
    policy_rejected_logps: x.policy.rejected_logps,
    ref_chosen_logps: x.ref_chosen_logps,
    ref_rejected_logps: x.ref_rejected_logps,
    kl,
  }, { beta: c.beta, desirable_weight: c.desirable_weight, undesirable_weight: c.undesirable_weight });
  // TRL: the mean over the desirable and undesirable losses together (both halves are B rows here).
  return { loss: out.loss, chosen_rewards: out.chosen_rewards, rejected_rewards: out.rejected_rewards, extras: { kl } };
};

const orpo: Objective = (x, c) => {
  const p = x.policy;
  const out = orpoLoss({ chosen_logps: p.chosen_logps, rejected_logps: p.rejected_logps, chosen_lengths: p.chosen_lengths, rejected_lengths: p.rejected_lengths, chosen_nll: p.chosen_nll }, { beta: c.beta });
  return { loss: out.loss, chosen_rewards: out.chosen_rewards, rejected_rewards: out.rejected_rewards, extras: { log_odds_ratio: out.log_odds_ratio, log_odds_chosen: out.log_odds_chosen, nll_loss: out.nll_loss } };
};

const cpo: Objective = (x, c) => {
  const p = x.policy;
  const out = cpoLoss(c.cpo_loss_type, { chosen_logps: p.chosen_logps, rejected_logps: p.rejected_logps, chosen_lengths: p.chosen_lengths, rejected_lengths: p.rejected_lengths, chosen_nll: p.chosen_nll }, { beta: c.beta, label_smoothing: c.label_smoothing, simpo_gamma: c.simpo_gamma, cpo_alpha: c.cpo_alpha });
  return { loss: out.loss, chosen_rewards: out.chosen_rewards, rejected_rewards: out.rejected_rewards, extras: { nll_loss: out.nll_loss } };
};

export const OBJECTIVES: Record<PreferenceMethod, Objective> = { dpo, kto, orpo, cpo };

/** Whether a method reads reference log-probs at all (ORPO and CPO have no reference model). */
export function usesReference(c: DpoRunConfig): boolean {
  return (c.method === 'dpo' || c.method === 'kto') && !c.reference_free;
}

const SHARED_METRICS = ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'logits/chosen', 'logits/rejected'] as const;
const EXTRA_METRICS: Record<PreferenceMethod, readonly string[]> = { dpo: [], kto: ['kl'], orpo: ['log_odds_ratio', 'log_odds_chosen', 'nll_loss'], cpo: ['nll_loss'] };

/** The names of the values metricVector stacks, in order. */
export function metricNames(method: PreferenceMethod): string[] {
  return [...SHARED_METRICS, ...EXTRA_METRICS[method]];
}

/**
 * TRL logs ORPO's log-probs, and CPO's for its ipo and simpo losses, per token (average_log_prob);
 * DPO's and KTO's are sums.
 */
function averagesLogps(c: DpoRunConfig): boolean {
  return c.method === 'orpo' || (c.method === 'cpo' && (c.cpo_loss_type === 'ipo' || c.cpo_loss_type === 'simpo'));
}

/** [metricNames(method).length]: the batch's metrics as TRL defines them (means over the batch). */
export function metricVector(out: ObjectiveOutput, p: PairLogps, c: DpoRunConfig): tf.Tensor1D {
  const perToken = averagesLogps(c);
  const logps = (sum: tf.Tensor1D, lengths: tf.Tensor1D) => tf.mean(perToken ? tf.div(sum, tf.maximum(lengths, 1)) : sum);
  const values: tf.Tensor[] = [
    out.loss,
    tf.mean(out.chosen_rewards),
    tf.mean(out.rejected_rewards),
    tf.mean(tf.cast(tf.greater(out.chosen_rewards, out.rejected_rewards), 'float32')),
    tf.mean(tf.sub(out.chosen_rewards, out.rejected_rewards)),
    logps(p.chosen_logps, p.chosen_lengths),
    logps(p.rejected_logps, p.rejected_lengths),
    p.mean_chosen_logits,
    p.mean_rejected_logits,
    ...EXTRA_METRICS[c.method].map((name) => out.extras[name]),
  ];
  return tf.stack(values.map((v) => tf.reshape(v, []))) as tf.Tensor1D;
}
