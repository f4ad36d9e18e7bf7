import type { LrSchedulerType } from '../core/train/pretrainConfig.ts';

/** The learning-rate schedules (TRL: lr_scheduler_type) as every stage's select offers them. */
export const LR_SCHEDULES: readonly { value: LrSchedulerType; label: string }[] = [
  { value: 'linear', label: 'Linear (to 0 over the run)' },
  { value: 'cosine', label: 'Cosine' },
  { value: 'constant', label: 'Constant' },
];

/** The on-screen names of config fields, for the summary of what blocks training. */
export const FIELD_LABELS: Record<string, string> = {
  corpus: 'Text file',
  'corpus.num_stories': 'Number of stories',
  'corpus.seed': 'Story seed',
  'tokenizer.kind': 'Tokenizer',
  'tokenizer.vocabSize': 'Vocabulary size',
  'model.n_layer': 'Layers',
  'model.n_embd': 'Width (n_embd)',
  'model.n_head': 'Attention heads',
  'model.n_positions': 'Context length',
  learning_rate: 'Learning rate',
  lr_scheduler_type: 'Learning-rate schedule',
  warmup_steps: 'Warmup steps',
  per_device_train_batch_size: 'Batch size',
  max_steps: 'Training steps',
  seed: 'Seed',
  weight_decay: 'Weight decay',
  logging_steps: 'Log every (steps)',
  eval_steps: 'Evaluate every (steps)',
  sample_steps: 'Sample every (steps)',
  max_grad_norm: 'Gradient clipping',
  eval_fraction: 'Validation fraction',
  startFrom: 'Run to continue',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field;
}
