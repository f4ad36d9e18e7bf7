/**
 * Everything that defines a reward-model run, named as TRL's RewardConfig / Hugging Face's
 * TrainingArguments name it (learning_rate, per_device_train_batch_size, max_length,
 * center_rewards_coefficient, ...), with the defaults that reach the benchmark (>= 90%
 * held-out accuracy within 3 minutes of wasm training on the shipped base model after SFT).
 * Saved inside the checkpoint's config.json.
 */
import type { LrSchedulerType } from '../train/pretrainConfig.ts';
import type { TrainableLayers } from './rewardModel.ts';

export interface RewardConfig {
  learning_rate: number;
  lr_scheduler_type: LrSchedulerType;
  warmup_steps: number;
  /** Preference pairs per step (each pair is two sequences: chosen and rejected). */
  per_device_train_batch_size: number;
  /** Passes over the training pairs; used when max_steps is -1. */
  num_train_epochs: number;
  /** Optimizer steps; -1 means num_train_epochs passes. */
  max_steps: number;
  /** Tokens per sequence (prompt + completion + EOS); longer ones keep their last max_length tokens. */
  max_length: number;
  /** TRL's optional pull of rewards toward mean zero; null turns it off. */
  center_rewards_coefficient: number | null;
  /** Fraction of the pairs held out for eval/accuracy and eval/gold_accuracy. */
  eval_fraction: number;
  seed: number;
  logging_steps: number;
  /** Held-out evaluation (and a checkpoint) every this many steps. */
  eval_steps: number;
  /** Evaluate once before the first step (Hugging Face's eval_on_start): the untrained head's accuracy, for comparison. */
  eval_on_start: boolean;
  max_grad_norm: number;
  weight_decay: number;
  /**
   * Transformer blocks trained, counted from the top (the head and the final LayerNorm always
   * train); 'all' trains every weight, embeddings included. Fewer is faster per step.
   */
  trainable_layers: TrainableLayers;
}

export function defaultRewardConfig(): RewardConfig {
  return {
    learning_rate: 1e-3,
    lr_scheduler_type: 'linear',
    warmup_steps: 10,
    per_device_train_batch_size: 8,
    num_train_epochs: 3,
    max_steps: -1,
    max_length: 64,
    center_rewards_coefficient: null,
    eval_fraction: 0.1,
    seed: 0,
    logging_steps: 5,
    eval_steps: 25,
    eval_on_start: true,
    max_grad_norm: 1.0,
    weight_decay: 0,
    trainable_layers: 'all',
  };
}

/** Optimizer steps a run takes: max_steps, or enough for num_train_epochs passes over the pairs. */
export function totalRewardSteps(config: RewardConfig, numTrainPairs: number): number {
  if (config.max_steps > 0) return config.max_steps;
  return Math.max(1, Math.ceil(config.num_train_epochs * Math.ceil(numTrainPairs / config.per_device_train_batch_size)));
}
