/**
 * Everything that defines a pretraining run. Training-argument names follow Hugging Face's
 * TrainingArguments / TRL's configs (learning_rate, lr_scheduler_type, max_steps, ...), so a
 * config here reads like one there. Saved inside config.json next to the model config.
 */
import type { ModelConfig, ModelPresetName } from '../model/config.ts';
import type { TokenizerSpec } from '../tokenizer/tokenizer.ts';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;
export type LrSchedulerType = 'constant' | 'linear' | 'cosine';

export type CorpusSpec =
  /** The built-in generated children's stories. */
  | { kind: 'stories'; num_stories: number; seed: number }
  /** Text the user uploaded; the text itself travels beside the config, not inside it. */
  | { kind: 'upload'; name: string; bytes: number };

export interface PretrainConfig {
  corpus: CorpusSpec;
  tokenizer: TokenizerSpec;
  /** A preset name or 'custom'; the shape itself is in `model`. */
  model_preset: ModelPresetName | 'custom';
  model: Omit<ModelConfig, 'vocab_size'>;
  learning_rate: number;
  lr_scheduler_type: LrSchedulerType;
  warmup_steps: number;
  /** Sequences per step. */
  per_device_train_batch_size: number;
  max_steps: number;
  seed: number;
  /** Decoupled (AdamW) weight decay on the weight matrices; 0 turns it off. */
  weight_decay: number;
  /** Clip the global gradient norm to this; 0 turns clipping off. */
  max_grad_norm: number;
  /** Log train metrics every this many steps. */
  logging_steps: number;
  /** Validation loss every this many steps (also when a checkpoint is taken). */
  eval_steps: number;
  /** Refresh the samples panel every this many steps. */
  sample_steps: number;
  /** Fraction of the token stream held out for validation. */
  eval_fraction: number;
}

/**
 * One logged row, as written to metrics.jsonl and plotted. Keys follow TRL's logs. The named keys
 * are pretraining's; other stages log their own TRL names ('mean_token_accuracy', 'accuracy', ...).
 */
export interface MetricRow {
  [key: string]: number | undefined;
  step: number;
  loss?: number;
  perplexity?: number;
  'eval/loss'?: number;
  'eval/perplexity'?: number;
  learning_rate?: number;
  tokens_per_second?: number;
  epoch?: number;
}

export interface SamplingConfig {
  temperature: number;
  /** 0 turns top-k off. */
  top_k: number;
  /** 1 turns nucleus sampling off. */
  top_p: number;
  max_new_tokens: number;
}

export interface Sample {
  prompt: string;
  completion: string;
}

/** The three files of a checkpoint, named as Hugging Face names them. */
export interface CheckpointFiles {
  /** model.safetensors */
  model: ArrayBuffer;
  /** config.json: { model config fields, model_type, rlhf_playground: { run config, step } } */
  config: string;
  /** tokenizer.json */
  tokenizer: string;
}
