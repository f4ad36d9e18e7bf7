/**
 * Everything that defines an offline preference-optimisation run (DPO, KTO, ORPO, CPO/SimPO),
 * named as TRL's DPOConfig, KTOConfig, ORPOConfig and CPOConfig name it, with defaults for a
 * 0.3M-parameter model and checks that name the field at fault.
 *
 * The loss-type unions live here so this file imports nothing from the loss files (the UI imports
 * it first); dpoLosses.ts and cpoLoss.ts re-export them.
 */
import type { LrSchedulerType } from '../train/pretrainConfig.ts';
import { fieldChecks, type FieldError } from '../train/validate.ts';
import type { FDivergenceType } from './dpoLosses.ts';

/** Which trainer: TRL's DPOTrainer, KTOTrainer, ORPOTrainer or CPOTrainer. */
export type PreferenceMethod = 'dpo' | 'kto' | 'orpo' | 'cpo';
export const PREFERENCE_METHODS: readonly PreferenceMethod[] = ['dpo', 'kto', 'orpo', 'cpo'];

/** Every loss_type of TRL's DPOTrainer (newest TRL; 'aot_unpaired' was 'aot_pair' in older TRL). */
export type DpoLossType =
  | 'sigmoid'
  | 'hinge'
  | 'ipo'
  | 'exo_pair'
  | 'nca_pair'
  | 'robust'
  | 'bco_pair'
  | 'sppo_hard'
  | 'aot'
  | 'aot_unpaired'
  | 'apo_zero'
  | 'apo_down'
  | 'discopop'
  | 'sft';

export const DPO_LOSS_TYPES: readonly DpoLossType[] = [
  'sigmoid', 'hinge', 'ipo', 'exo_pair', 'nca_pair', 'robust', 'bco_pair', 'sppo_hard',
  'aot', 'aot_unpaired', 'apo_zero', 'apo_down', 'discopop', 'sft',
];

/** CPOConfig.loss_type; 'simpo' is SimPO (CPO without the reference model and with a margin gamma). */
export type CpoLossType = 'sigmoid' | 'hinge' | 'ipo' | 'simpo';
export const CPO_LOSS_TYPES: readonly CpoLossType[] = ['sigmoid', 'hinge', 'ipo', 'simpo'];

export interface DpoRunConfig {
  method: PreferenceMethod;
  /** DPO/KTO/CPO: how far the policy may move from the reference (higher: less). ORPO: the paper's lambda. */
  beta: number;
  /** DPO loss types, summed with loss_weights (TRL accepts a list). */
  loss_type: DpoLossType[];
  /** One weight per loss_type; null: all 1. */
  loss_weights: number[] | null;
  /** Robust DPO, EXO, AOT: assumed fraction of flipped labels, 0 up to (not including) 0.5. */
  label_smoothing: number;
  /** DiscoPOP's temperature (TRL's discopop_tau). */
  discopop_tau: number;
  /** f-DPO: which divergence from the reference the loss regularises; 'reverse_kl' is standard DPO. */
  f_divergence_type: FDivergenceType;
  /** alpha of the alpha-divergence (only with f_divergence_type 'alpha_divergence'). */
  f_alpha_divergence_coef: number;
  /** true: no reference model; the implicit reference gives every completion the same probability. */
  reference_free: boolean;
  /** Compute the reference log-probs once before training, then free the reference model. */
  precompute_ref_log_probs: boolean;
  /** KTO: weight of the desirable (chosen) and undesirable (rejected) losses. */
  desirable_weight: number;
  undesirable_weight: number;
  /** CPO: its loss type; 'simpo' uses simpo_gamma. */
  cpo_loss_type: CpoLossType;
  /** SimPO's target reward margin. */
  simpo_gamma: number;
  /** CPO: weight of the behaviour-cloning (NLL) term on the chosen completion; SimPO uses 0. */
  cpo_alpha: number;
  learning_rate: number;
  lr_scheduler_type: LrSchedulerType;
  warmup_steps: number;
  /** Pairs per step (each pair is two rows: chosen and rejected, in one forward). */
  per_device_train_batch_size: number;
  /** Optimizer steps; -1: as many as num_train_epochs takes (as in TRL). */
  max_steps: number;
  num_train_epochs: number;
  /** Longest prompt + completion in tokens; longer rows lose prompt tokens first. At most the model's context. */
  max_length: number;
  max_grad_norm: number;
  weight_decay: number;
  /** Shuffling, the held-out split and sampling. */
  seed: number;
  logging_steps: number;
  /** Held-out metrics and the fresh-sample gold win rate every this many steps. */
  eval_steps: number;
  /** Fraction of the pairs held out for eval/... metrics. */
  eval_fraction: number;
  /** Held-out prompts sampled at each eval for eval/gold_win_rate (0: skip the win rate). */
  num_eval_prompts: number;
  /** Checkpoint of the policy every save_steps steps (and at the end). */
  save_steps: number;
}

export function defaultDpoRunConfig(): DpoRunConfig {
  return {
    method: 'dpo',
    beta: 0.1,
    loss_type: ['sigmoid'],
    loss_weights: null,
    label_smoothing: 0,
    discopop_tau: 0.05,
    f_divergence_type: 'reverse_kl',
    f_alpha_divergence_coef: 0.5,
    reference_free: false,
    precompute_ref_log_probs: false,
    desirable_weight: 1,
    undesirable_weight: 1,
    cpo_loss_type: 'sigmoid',
    simpo_gamma: 0.5,
    cpo_alpha: 1,
    // Far above TRL's 1e-6: a 0.3M-parameter model barely moves at large-model rates. Tuned on
    // `npm run bench:dpo` (300 simulated happy-ending pairs, beta 0.1, batch 8): at 1e-4 the fresh
    // samples' gold win rate reached ~80% only after 30 steps; at 3e-4 ~85% after 10 and ~95% after
    // 20; at 1e-3 ~98% after 10, but the held-out margins ran away and the text degraded sooner.
    learning_rate: 3e-4,
    lr_scheduler_type: 'linear',
    warmup_steps: 0,
    per_device_train_batch_size: 8,
    max_steps: 60,
    num_train_epochs: 1,
    max_length: 64,
    max_grad_norm: 1.0,
    weight_decay: 0,
    seed: 0,
    logging_steps: 1,
    eval_steps: 10,
    eval_fraction: 0.1,
    // 64 samples: the win rate's standard error is at most ~6 points.
    num_eval_prompts: 64,
    save_steps: 20,
  };
}

export const DPO_FIELD_LABELS: Record<keyof DpoRunConfig, string> = {
  method: 'Method',
  beta: 'Beta (how far from the reference)',
  loss_type: 'Loss types',
  loss_weights: 'Loss weights',
  label_smoothing: 'Label smoothing (assumed wrong labels)',
  discopop_tau: 'DiscoPOP temperature',
  f_divergence_type: 'Divergence from the reference',
  f_alpha_divergence_coef: 'Alpha of the alpha-divergence',
  reference_free: 'No reference model',
  precompute_ref_log_probs: 'Compute reference scores once up front',
  desirable_weight: 'Weight of good examples',
  undesirable_weight: 'Weight of bad examples',
  cpo_loss_type: 'CPO loss type',
  simpo_gamma: 'SimPO target margin',
  cpo_alpha: 'Weight of imitating the chosen answer',
  learning_rate: 'Learning rate',
  lr_scheduler_type: 'Learning-rate schedule',
  warmup_steps: 'Warmup steps',
  per_device_train_batch_size: 'Pairs per step',
  max_steps: 'Training steps',
  num_train_epochs: 'Epochs',
  max_length: 'Max length (tokens)',
  max_grad_norm: 'Gradient clipping',
  weight_decay: 'Weight decay',
  seed: 'Seed',
  logging_steps: 'Log every (steps)',
  eval_steps: 'Evaluate every (steps)',
  eval_fraction: 'Held-out fraction',
  num_eval_prompts: 'Prompts sampled at each evaluation',
  save_steps: 'Save every (steps)',
};

/** Problems with a config, each naming its field; empty when it is fine. */
export function validateDpoRunConfig(c: DpoRunConfig): FieldError[] {
  const errors: FieldError[] = [];
  const { int, num, bool } = fieldChecks(c, errors);
  if (!PREFERENCE_METHODS.includes(c.method)) errors.push({ field: 'method', message: `must be one of ${PREFERENCE_METHODS.join(', ')} (got ${String(c.method)})` });
  if (typeof c.beta !== 'number' || !Number.isFinite(c.beta)) errors.push({ field: 'beta', message: `must be a number (got ${String(c.beta)})` });
  else if (c.beta <= 0) errors.push({ field: 'beta', message: `must be above 0 (got ${c.beta}): at 0 the preference term vanishes, below 0 it rewards the rejected answer` });
  else if (c.beta > 100) errors.push({ field: 'beta', message: `must be at most 100 (got ${c.beta})` });

  if (!Array.isArray(c.loss_type) || c.loss_type.length === 0) {
    errors.push({ field: 'loss_type', message: 'pick at least one loss type' });
  } else {
    const unknown = c.loss_type.filter((t) => !DPO_LOSS_TYPES.includes(t));
    if (unknown.length > 0) errors.push({ field: 'loss_type', message: `unknown loss type ${unknown.join(', ')}; choose from ${DPO_LOSS_TYPES.join(', ')}` });
    if (new Set(c.loss_type).size !== c.loss_type.length) errors.push({ field: 'loss_type', message: 'lists a loss type twice' });
  }
  if (c.loss_weights !== null) {
    if (!Array.isArray(c.loss_weights) || c.loss_weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
      errors.push({ field: 'loss_weights', message: 'must be numbers of at least 0, or empty for all 1' });
    } else if (Array.isArray(c.loss_type) && c.loss_weights.length !== c.loss_type.length) {
      errors.push({ field: 'loss_weights', message: `needs one weight per loss type (${c.loss_type.length}), got ${c.loss_weights.length}` });
    }
  }
  num('label_smoothing', 0, 0.5);
  // At 0.5 every label is a coin flip: robust divides by 1 - 2 * label_smoothing.
  if (c.label_smoothing === 0.5) errors.push({ field: 'label_smoothing', message: 'must be below 0.5 (at 0.5 the labels carry no information)' });
  num('discopop_tau', 0, 100, true);
  const divergences: FDivergenceType[] = ['reverse_kl', 'forward_kl', 'js_divergence', 'alpha_divergence'];
  if (!divergences.includes(c.f_divergence_type)) errors.push({ field: 'f_divergence_type', message: `must be one of ${divergences.join(', ')} (got ${String(c.f_divergence_type)})` });
  num('f_alpha_divergence_coef', 0, 100, true);
  bool('reference_free');
  bool('precompute_ref_log_probs');
  num('desirable_weight', 0, 1000);
  num('undesirable_weight', 0, 1000);
  if (c.method === 'kto' && c.desirable_weight === 0 && c.undesirable_weight === 0) {
    errors.push({ field: 'desirable_weight', message: 'and undesirable_weight cannot both be 0: nothing would be learned' });
  }
  if (!CPO_LOSS_TYPES.includes(c.cpo_loss_type)) errors.push({ field: 'cpo_loss_type', message: `must be one of ${CPO_LOSS_TYPES.join(', ')} (got ${String(c.cpo_loss_type)})` });
  num('simpo_gamma', 0, 100);
  num('cpo_alpha', 0, 100);

  num('learning_rate', 0, 1, true);
  if (!['constant', 'linear', 'cosine'].includes(c.lr_scheduler_type)) errors.push({ field: 'lr_scheduler_type', message: "must be 'constant', 'linear' or 'cosine'" });
  int('warmup_steps', 0, 1_000_000);
  int('per_device_train_batch_size', 1, 256);
  if (c.max_steps !== -1) int('max_steps', 1, 1_000_000);
  if (c.max_steps === -1) num('num_train_epochs', 0, 1000, true);
  int('max_length', 2, 4096);
  num('max_grad_norm', 0, 1e6);
  num('weight_decay', 0, 1);
  int('seed', 0, 2 ** 32 - 1);
  int('logging_steps', 1, 1_000_000);
  int('eval_steps', 1, 1_000_000);
  num('eval_fraction', 0, 0.5);
  int('num_eval_prompts', 0, 1024);
  int('save_steps', 1, 1_000_000);
  return errors;
}

/** The optimizer steps a run takes: max_steps, or enough batches of pairs for num_train_epochs. */
export function totalDpoSteps(c: DpoRunConfig, numTrainPairs: number): number {
  if (c.max_steps > 0) return c.max_steps;
  return Math.max(1, Math.ceil((c.num_train_epochs * numTrainPairs) / c.per_device_train_batch_size));
}
