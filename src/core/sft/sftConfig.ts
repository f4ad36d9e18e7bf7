/**
 * Everything that defines a supervised fine-tuning run, named as TRL's SFTConfig names it
 * (learning_rate, num_train_epochs, max_steps, completion_only_loss, max_length, ...), with
 * defaults for a tiny model and checks that name the field at fault.
 */
import type { LrSchedulerType } from '../train/pretrainConfig.ts';
import { checkInt, checkNumber, type FieldError } from '../train/validate.ts';

export interface SftConfig {
  learning_rate: number;
  lr_scheduler_type: LrSchedulerType;
  warmup_steps: number;
  /** Passes over the training rows; used when max_steps is -1. */
  num_train_epochs: number;
  /** Optimizer steps; -1: as many as num_train_epochs takes (as in TRL). */
  max_steps: number;
  /** Rows per step. */
  per_device_train_batch_size: number;
  /** true: loss on the completion's tokens only (the prompt is masked); false: the whole sequence. */
  completion_only_loss: boolean;
  /** Longest prompt + completion + end-of-text in tokens; longer rows are cut at the end. At most the model's context. */
  max_length: number;
  /** Fraction of the rows held out for eval/loss (0: no evaluation). */
  eval_fraction: number;
  logging_steps: number;
  eval_steps: number;
  /** Refresh the after-training samples every this many steps. */
  sample_steps: number;
  /** Shuffling, the held-out split and sampling. */
  seed: number;
  max_grad_norm: number;
  weight_decay: number;
}

export function defaultSftConfig(): SftConfig {
  return {
    // Far above TRL's 2e-5: a 0.3M-parameter model moves slowly at large-model rates. From the
    // shipped base, 200 steps at this rate take the built-in mood requests from ~50% to ~100% followed.
    learning_rate: 5e-3,
    lr_scheduler_type: 'linear',
    warmup_steps: 10,
    num_train_epochs: 3,
    max_steps: 200,
    per_device_train_batch_size: 8,
    completion_only_loss: true,
    max_length: 64,
    eval_fraction: 0.1,
    logging_steps: 5,
    eval_steps: 25,
    sample_steps: 50,
    seed: 0,
    max_grad_norm: 1.0,
    weight_decay: 0.0,
  };
}

export const SFT_FIELD_LABELS: Record<keyof SftConfig, string> = {
  learning_rate: 'Learning rate',
  lr_scheduler_type: 'Learning-rate schedule',
  warmup_steps: 'Warmup steps',
  num_train_epochs: 'Epochs',
  max_steps: 'Training steps',
  per_device_train_batch_size: 'Batch size',
  completion_only_loss: 'Loss on the completion only',
  max_length: 'Max length (tokens)',
  eval_fraction: 'Validation fraction',
  logging_steps: 'Log every (steps)',
  eval_steps: 'Evaluate every (steps)',
  sample_steps: 'Sample every (steps)',
  seed: 'Seed',
  max_grad_norm: 'Gradient clipping',
  weight_decay: 'Weight decay',
};

/** Problems with a config, each naming its field; empty when it is fine. */
export function validateSftConfig(c: SftConfig): FieldError[] {
  const errors: FieldError[] = [];
  checkNumber(errors, 'learning_rate', c.learning_rate, 0, 1, true);
  if (!['constant', 'linear', 'cosine'].includes(c.lr_scheduler_type)) errors.push({ field: 'lr_scheduler_type', message: "must be 'constant', 'linear' or 'cosine'" });
  checkInt(errors, 'warmup_steps', c.warmup_steps, 0, 1_000_000);
  if (c.max_steps !== -1) checkInt(errors, 'max_steps', c.max_steps, 1, 1_000_000);
  if (c.max_steps === -1) checkNumber(errors, 'num_train_epochs', c.num_train_epochs, 0, 1000, true);
  checkInt(errors, 'per_device_train_batch_size', c.per_device_train_batch_size, 1, 256);
  if (typeof c.completion_only_loss !== 'boolean') errors.push({ field: 'completion_only_loss', message: 'must be true or false' });
  checkInt(errors, 'max_length', c.max_length, 2, 4096);
  checkNumber(errors, 'eval_fraction', c.eval_fraction, 0, 0.5);
  checkInt(errors, 'logging_steps', c.logging_steps, 1, 1_000_000);
  checkInt(errors, 'eval_steps', c.eval_steps, 1, 1_000_000);
  checkInt(errors, 'sample_steps', c.sample_steps, 1, 1_000_000);
  checkInt(errors, 'seed', c.seed, 0, 2 ** 32 - 1);
  checkNumber(errors, 'max_grad_norm', c.max_grad_norm, 0, 1e6);
  checkNumber(errors, 'weight_decay', c.weight_decay, 0, 1);
  return errors;
}

/** The optimizer steps a run takes: max_steps, or enough batches for num_train_epochs. */
export function totalSteps(c: SftConfig, numTrainRows: number): number {
  if (c.max_steps > 0) return c.max_steps;
  return Math.max(1, Math.ceil((c.num_train_epochs * numTrainRows) / c.per_device_train_batch_size));
}
