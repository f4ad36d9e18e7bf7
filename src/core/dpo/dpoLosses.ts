/**
 * Every loss_type of TRL's DPOTrainer (TRL 1.1, `_compute_loss`) as a small pure function on
 * per-sequence log-probs, plus TRL's weighted combination of several (`loss_weights`, e.g. MPO).
 *
 * Names as in TRL: for each pair of the batch,
 *   chosen_logratios   = chosen_logps - ref_chosen_logps        (log pi/pi_ref of the chosen completion)
 *   rejected_logratios = rejected_logps - ref_rejected_logps
 *   chosen_scores / rejected_scores = f'(pi/pi_ref) of the f-divergence (reverse KL: the log-ratios)
 *   delta_score        = chosen_scores - rejected_scores       ("logits" in older TRL)
 * Every input is [B]; log-probs are SUMS over the completion's tokens (ipo and sft divide by the
 * token counts themselves, as TRL does). Call inside tf.tidy or an optimizer.minimize closure.
 *
 * label_smoothing is read only where TRL 1.1 reads it: robust, exo_pair, aot and aot_unpaired.
 * (Older TRL also smoothed 'sigmoid' (cDPO); TRL 1.1 no longer does.)
 */
import * as tf from '@tensorflow/tfjs';
import type { DpoLossType } from './dpoConfig.ts';
import { DPO_LOSS_TYPES } from './dpoConfig.ts';
import { cappedExp, logSigmoid, perToken, smoothedLogisticLoss, softplus, sortAscending } from './stableMath.ts';

export type { DpoLossType };
export { DPO_LOSS_TYPES };

/** TRL's f_divergence_type (f-DPO, Wang et al. 2023): which divergence from the reference the loss regularises. */
export type FDivergenceType = 'reverse_kl' | 'forward_kl' | 'js_divergence' | 'alpha_divergence';
export const F_DIVERGENCE_TYPES: readonly FDivergenceType[] = ['reverse_kl', 'forward_kl', 'js_divergence', 'alpha_divergence'];

/** One-line hints for the UI. */
export const F_DIVERGENCE_DESCRIPTIONS: Record<FDivergenceType, string> = {
  reverse_kl: 'Standard DPO: keeps the policy close to the reference by reverse KL (mode seeking: it may drop some of the reference\'s answers).',
  forward_kl: 'Forward KL: the policy must keep covering everything the reference writes (mass covering, more diverse). Wang et al. 2023, f-DPO.',
  js_divergence: 'Jensen-Shannon: halfway between reverse and forward KL, and bounded. Wang et al. 2023, f-DPO.',
  alpha_divergence: 'Alpha-divergence: alpha near 1 acts like reverse KL, near 0 like forward KL (f_alpha_divergence_coef). Wang et al. 2023, f-DPO.',
};

/** All [B]. */
export interface DpoLogps {
  /** SUM of the policy's log-probs of the chosen completion's tokens. */
  chosen_logps: tf.Tensor1D;
  rejected_logps: tf.Tensor1D;
  /** The same under the reference model (zeros when reference_free). */
  ref_chosen_logps: tf.Tensor1D;
  ref_rejected_logps: tf.Tensor1D;
  /** Completion token counts, float (ipo averages per token; sft takes the token-level mean). */
  chosen_lengths: tf.Tensor1D;
  rejected_lengths: tf.Tensor1D;
}

export interface DpoLossParams {
  /** Strength of the pull toward the reference (higher: closer). For ipo it is the paper's tau. TRL: 0.1. */
  beta: number;
  /** robust: assumed probability a label is flipped, in [0, 0.5). exo_pair: the paper's epsilon (0 -> 1e-3).
   *  aot/aot_unpaired: conservative smoothing. Other types ignore it. TRL: 0. */
  label_smoothing: number;
  /** DiscoPOP's temperature: how sharply it blends its logistic and exponential parts. TRL: 0.05. */
  discopop_tau: number;
  /** f-DPO's divergence; 'reverse_kl' is standard DPO. TRL: 'reverse_kl'. */
  f_divergence_type: FDivergenceType;
  /** alpha of the alpha-divergence (only with f_divergence_type 'alpha_divergence'). TRL: 0.5. */
  f_alpha_divergence_coef: number;
  /**
   * bco_pair's reward shift delta: TRL 1.1 uses 0; older TRL subtracted the running mean of the
   * batches' mean implicit rewards (see updateBcoRewardMean), which the trainer keeps and passes here.
   */
  bco_reward_mean: number;
}

export function defaultDpoLossParams(): DpoLossParams {
  return {
    beta: 0.1,
    label_smoothing: 0,
    discopop_tau: 0.05,
    f_divergence_type: 'reverse_kl',
    f_alpha_divergence_coef: 0.5,
    bco_reward_mean: 0,
  };
}

/** One-line hints for the UI: what each loss type optimises, and its paper. */
export const DPO_LOSS_DESCRIPTIONS: Record<DpoLossType, string> = {
  sigmoid: 'Standard DPO: make the chosen answer more likely than the rejected one, relative to the reference (logistic loss). Rafailov et al. 2023, DPO.',
  hinge: 'Like DPO but stops pushing once the scaled margin reaches 1 (hinge loss, as in an SVM). Zhao et al. 2023, SLiC-HF.',
  ipo: 'Aims the per-token margin at a fixed target 1/(2 beta) instead of pushing it forever, so it overfits less. Azar et al. 2023, IPO.',
  exo_pair: 'Matches the policy\'s preference probabilities to the labels (reverse KL, mode seeking); label_smoothing is its epsilon. Ji et al. 2024, EXO.',
  nca_pair: 'Scores each answer against the reference on its own, so the chosen answer\'s likelihood rises instead of only the gap. Chen et al. 2024, NCA.',
  robust: 'DPO made unbiased under noisy labels: label_smoothing is the assumed fraction of flipped labels. Chowdhury et al. 2024, Robust DPO.',
  bco_pair: 'Trains a classifier that says "chosen" for the chosen answer and "rejected" for the rejected one, each on its own. Jung et al. 2024, BCO.',
  sppo_hard: 'Moves the chosen answer\'s log-ratio to +1/(2 beta) and the rejected one\'s to -1/(2 beta) (squared errors). Wu et al. 2024, SPPO (hard labels).',
  aot: 'Compares the sorted margins of policy and reference across the batch: the policy\'s margins should dominate. Melnyk et al. 2024, AOT (paired).',
  aot_unpaired: 'Compares the sorted chosen log-ratios with the sorted rejected ones across the batch. Melnyk et al. 2024, AOT (unpaired).',
  apo_zero: 'Raises the chosen answer\'s likelihood and lowers the rejected one\'s; for when chosen answers beat the model\'s own. D\'Oosterlinck et al. 2024, APO-zero.',
  apo_down: 'Lowers both, the rejected answer more; for when even chosen answers are worse than the model\'s own. D\'Oosterlinck et al. 2024, APO-down.',
  discopop: 'A loss found by an LLM-driven search: blends the logistic and an exponential loss depending on the margin (discopop_tau). Chris Lu et al. 2024, DiscoPOP.',
  sft: 'Plain supervised fine-tuning on the chosen answers (token cross-entropy); usually combined with another type. As in MPO (Wang et al. 2024).',
};

/** Quantities several loss types share, computed once per batch. All [B]. */
interface SharedTerms {
  x: DpoLogps;
  chosen_logratios: tf.Tensor1D;
  rejected_logratios: tf.Tensor1D;
  chosen_scores: tf.Tensor1D;
  rejected_scores: tf.Tensor1D;
  delta_score: tf.Tensor1D;
}

type LossFn = (s: SharedTerms, p: DpoLossParams) => tf.Tensor1D;

const b = (t: tf.Tensor, p: DpoLossParams) => tf.mul(t, p.beta);

/**
 * Cap on the exponent of the forward-KL and alpha-divergence scores. TRL caps alpha's at 80 (and
 * forward KL's not at all); 30 keeps even squared scores (ipo, sppo_hard) and their gradients inside
 * float32 when alpha is close to 1. Only extreme log-ratios are affected: below -30 nats (forward
 * KL), beyond 30 / |alpha - 1| nats (alpha).
 */
export const F_DIVERGENCE_EXP_CAP = 30;

/** f'(pi/pi_ref) per f-divergence (TRL 1.1), with exponents capped so extreme ratios stay finite. */
function scores(logratios: tf.Tensor1D, p: DpoLossParams): tf.Tensor1D {
  switch (p.f_divergence_type) {
    case 'reverse_kl':
      return logratios;
    case 'forward_kl': // f'(t) = 1 - 1/t, constant dropped: -exp(-logratio)
      return tf.neg(tf.exp(tf.minimum(tf.neg(logratios), F_DIVERGENCE_EXP_CAP))) as tf.Tensor1D;
    case 'js_divergence': // f'(t) = log(2t / (t + 1)), log 2 dropped: logsigmoid(logratio).
      return logSigmoid(logratios) as tf.Tensor1D;
    case 'alpha_divergence': {
      const a = p.f_alpha_divergence_coef;
      if (Math.abs(a - 1) < 1e-6) return logratios; // the limit alpha -> 1 is reverse KL
      // f'(t) = (t^(a-1) - 1) / (a-1), constant dropped: exp((a-1) logratio) / (a-1)
      return tf.div(tf.exp(tf.minimum(tf.mul(logratios, a - 1), F_DIVERGENCE_EXP_CAP)), a - 1) as tf.Tensor1D;
    }
  }
  throw new Error(`unknown f_divergence_type '${String(p.f_divergence_type)}'; choose from ${F_DIVERGENCE_TYPES.join(', ')}`);
}

function sharedTerms(x: DpoLogps, p: DpoLossParams): SharedTerms {
  const chosen_logratios = tf.sub(x.chosen_logps, x.ref_chosen_logps) as tf.Tensor1D;
  const rejected_logratios = tf.sub(x.rejected_logps, x.ref_rejected_logps) as tf.Tensor1D;
  const chosen_scores = scores(chosen_logratios, p);
  const rejected_scores = scores(rejected_logratios, p);
  return { x, chosen_logratios, rejected_logratios, chosen_scores, rejected_scores, delta_score: tf.sub(chosen_scores, rejected_scores) as tf.Tensor1D };
}

/** EXO's epsilon when label_smoothing is 0 (log 0 would make the loss infinite); older TRL and the paper use 1e-3. */
export const EXO_DEFAULT_EPSILON = 1e-3;

const LOSSES: Record<DpoLossType, LossFn> = {
  // -logsigmoid(beta * delta)
  sigmoid: (s, p) => tf.neg(logSigmoid(b(s.delta_score, p))) as tf.Tensor1D,

  // relu(1 - beta * delta)
  hinge: (s, p) => tf.relu(tf.sub(1, b(s.delta_score, p))) as tf.Tensor1D,

  // (per-token delta - 1/(2 beta))^2: scores divided by completion token counts (clamped at 1), as TRL 1.1 does.
  ipo: (s, p) => {
    const ipoDelta = tf.sub(perToken(s.chosen_scores, s.x.chosen_lengths), perToken(s.rejected_scores, s.x.rejected_lengths));
    return tf.square(tf.sub(ipoDelta, 1 / (2 * p.beta))) as tf.Tensor1D;
  },

  // KL(q || p_label), q = (sigmoid(z), sigmoid(-z)), p_label = (1 - eps, eps), z = beta * delta:
  //   q_w (logsigmoid(z) - log(1 - eps)) + q_l (logsigmoid(-z) - log eps)
  exo_pair: (s, p) => {
    const eps = p.label_smoothing === 0 ? EXO_DEFAULT_EPSILON : p.label_smoothing;
    const z = b(s.delta_score, p);
    const chosenTerm = tf.mul(tf.sigmoid(z), tf.sub(logSigmoid(z), Math.log1p(-eps)));
    const rejectedTerm = tf.mul(tf.sigmoid(tf.neg(z)), tf.sub(logSigmoid(tf.neg(z)), Math.log(eps)));
    return tf.add(chosenTerm, rejectedTerm) as tf.Tensor1D;
  },

  // -logsigmoid(r_c) - 0.5 logsigmoid(-r_c) - 0.5 logsigmoid(-r_r), r = beta * score
  nca_pair: (s, p) => {
    const rc = b(s.chosen_scores, p);
    const rr = b(s.rejected_scores, p);
    return tf.sub(tf.sub(tf.neg(logSigmoid(rc)), tf.mul(0.5, logSigmoid(tf.neg(rc)))), tf.mul(0.5, logSigmoid(tf.neg(rr)))) as tf.Tensor1D;
  },

  // (-(1 - eps) logsigmoid(z) + eps logsigmoid(-z)) / (1 - 2 eps), z = beta * delta
  robust: (s, p) => {
    const eps = p.label_smoothing;
    if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`robust needs label_smoothing in [0, 0.5) (got ${eps})`);
    const z = b(s.delta_score, p);
    const clean = tf.mul(logSigmoid(z), -(1 - eps));
    const flipped = tf.mul(logSigmoid(tf.neg(z)), eps);
    return tf.div(tf.add(clean, flipped), 1 - 2 * eps) as tf.Tensor1D;
  },

  // -logsigmoid(beta * chosen_score - delta) - logsigmoid(-(beta * rejected_score - delta)), delta = bco_reward_mean
  bco_pair: (s, p) => {
    const rc = tf.sub(b(s.chosen_scores, p), p.bco_reward_mean);
    const rr = tf.sub(b(s.rejected_scores, p), p.bco_reward_mean);
    return tf.neg(tf.add(logSigmoid(rc), logSigmoid(tf.neg(rr)))) as tf.Tensor1D;
  },

  // (chosen_score - 1/(2 beta))^2 + (rejected_score + 1/(2 beta))^2
  sppo_hard: (s, p) => {
    const target = 0.5 / p.beta;
    return tf.add(tf.square(tf.sub(s.chosen_scores, target)), tf.square(tf.add(s.rejected_scores, target))) as tf.Tensor1D;
  },

  // smoothed logistic of beta * (sort(chosen - rejected) - sort(ref_chosen - ref_rejected)), sorted across the batch
  aot: (s, p) => {
    const logratios = sortAscending(tf.sub(s.x.chosen_logps, s.x.rejected_logps) as tf.Tensor1D);
    const refLogratios = sortAscending(tf.sub(s.x.ref_chosen_logps, s.x.ref_rejected_logps) as tf.Tensor1D);
    return smoothedLogisticLoss(b(tf.sub(logratios, refLogratios), p), p.label_smoothing) as tf.Tensor1D;
  },

  // smoothed logistic of beta * (sort(chosen_logratios) - sort(rejected_logratios))
  aot_unpaired: (s, p) => {
    const delta = tf.sub(sortAscending(s.chosen_logratios), sortAscending(s.rejected_logratios));
    return smoothedLogisticLoss(b(delta, p), p.label_smoothing) as tf.Tensor1D;
  },

  // (1 - sigmoid(beta * chosen_logratio)) + sigmoid(beta * rejected_logratio)
  apo_zero: (s, p) => tf.add(tf.sigmoid(tf.neg(b(s.chosen_logratios, p))), tf.sigmoid(b(s.rejected_logratios, p))) as tf.Tensor1D,

  // sigmoid(beta * chosen_logratio) + (1 - sigmoid(beta * delta))
  apo_down: (s, p) => tf.add(tf.sigmoid(b(s.chosen_logratios, p)), tf.sigmoid(tf.neg(b(s.delta_score, p)))) as tf.Tensor1D,

  // l = beta * delta, m = sigmoid(l / tau): -logsigmoid(l) (1 - m) + exp(-l) m.
  // exp(-l) m is computed as exp(-l + logsigmoid(l / tau)) (capped at exp(80)): for l << 0 the naive
  // exp(-l) overflows although the product tends to 0 whenever tau < 1.
  discopop: (s, p) => {
    const l = b(s.delta_score, p);
    const scaled = tf.div(l, p.discopop_tau);
    const logistic = tf.mul(softplus(tf.neg(l)), tf.sigmoid(tf.neg(scaled)));
    const exponential = cappedExp(tf.add(tf.neg(l), logSigmoid(scaled)));
    return tf.add(logistic, exponential) as tf.Tensor1D;
  },

  // Token-level cross-entropy over all chosen completion tokens of the batch, -sum(logps) / sum(tokens),
  // repeated per pair (TRL expands the scalar; only the mean is used).
  sft: (s) => {
    const nll = tf.div(tf.neg(tf.sum(s.x.chosen_logps)), tf.maximum(tf.sum(s.x.chosen_lengths), 1));
    return tf.mul(tf.onesLike(s.x.chosen_logps), nll) as tf.Tensor1D;
  },
};

export interface DpoLossOutputs {
  /** Per-pair loss [B]; the batch loss is its mean. */
  losses: tf.Tensor1D;
  /** beta * (chosen_logps - ref_chosen_logps) [B]: metrics only (TRL detaches them), whatever the loss type. */
  chosen_rewards: tf.Tensor1D;
  rejected_rewards: tf.Tensor1D;
}

function rewards(s: SharedTerms, p: DpoLossParams) {
  return { chosen_rewards: b(s.chosen_logratios, p) as tf.Tensor1D, rejected_rewards: b(s.rejected_logratios, p) as tf.Tensor1D };
}

/** One loss type's per-pair losses and the implicit rewards. */
export function dpoLoss(type: DpoLossType, x: DpoLogps, p: DpoLossParams): DpoLossOutputs {
  const fn = LOSSES[type];
  if (!fn) throw new Error(`unknown DPO loss type '${String(type)}'; choose from ${DPO_LOSS_TYPES.join(', ')}`);
  const s = sharedTerms(x, p);
  return { losses: fn(s, p), ...rewards(s, p) };
}

/**
 * TRL's multi-loss: loss = sum_i loss_weights[i] * mean(losses of loss_type[i]); weights null means
 * 1.0 for each (TRL's default), so one type with no weights is that type's mean loss.
 */
export function combinedDpoLoss(types: DpoLossType[], weights: number[] | null, x: DpoLogps, p: DpoLossParams): { loss: tf.Scalar; chosen_rewards: tf.Tensor1D; rejected_rewards: tf.Tensor1D } {
  if (types.length === 0) throw new Error('combinedDpoLoss needs at least one loss type');
  if (weights !== null && weights.length !== types.length) {
    throw new Error(`loss_weights has ${weights.length} entries but loss_type has ${types.length}`);
  }
  const s = sharedTerms(x, p);
  let loss: tf.Tensor = tf.scalar(0);
  types.forEach((type, i) => {
    const fn = LOSSES[type];
    if (!fn) throw new Error(`unknown DPO loss type '${String(type)}'; choose from ${DPO_LOSS_TYPES.join(', ')}`);
    loss = tf.add(loss, tf.mul(tf.mean(fn(s, p)), weights === null ? 1 : weights[i]));
  });
  return { loss: loss as tf.Scalar, ...rewards(s, p) };
}

/**
 * Older TRL's bco_pair delta: a running mean over batches of each batch's mean implicit reward
 * (chosen and rejected together), updated with the current batch before it is used. Plain numbers,
 * so the trainer can keep the state between steps and pass `mean` as bco_reward_mean.
 */
export function updateBcoRewardMean(state: { mean: number; count: number }, batchMeanReward: number): { mean: number; count: number } {
  const count = state.count + 1;
  return { mean: state.mean + (batchMeanReward - state.mean) / count, count };
}
