/** Defaults for a pretraining run: small, fast, readable after a few minutes on a laptop. */
import { MODEL_PRESETS } from '../model/config.ts';
import type { PretrainConfig, SamplingConfig } from './pretrainConfig.ts';

export function defaultPretrainConfig(): PretrainConfig {
  const { label: _label, ...small } = MODEL_PRESETS.small;
  return {
    corpus: { kind: 'stories', num_stories: 5000, seed: 1 },
    tokenizer: { kind: 'bpe', vocabSize: 512 },
    model_preset: 'small',
    model: small,
    // Short runs on tiny models like a high rate and small batches (more optimizer steps per second).
    learning_rate: 3e-3,
    lr_scheduler_type: 'cosine',
    warmup_steps: 50,
    per_device_train_batch_size: 8,
    max_steps: 1000,
    seed: 0,
    weight_decay: 0.01,
    max_grad_norm: 1.0,
    logging_steps: 10,
    eval_steps: 100,
    sample_steps: 100,
    eval_fraction: 0.05,
  };
}

export const DEFAULT_SAMPLING: SamplingConfig = { temperature: 0.8, top_k: 40, top_p: 0.95, max_new_tokens: 72 };
