/**
 * Checks of a pretraining config and of uploaded text, returning messages a person can act on,
 * each tied to the field it is about (a dot path such as 'model.n_head'), so the UI can show it
 * next to that field and the CLI can name it.
 */
import { MAX_UPLOAD_BYTES } from './limits.ts';
import type { PretrainConfig } from './pretrainConfig.ts';

export interface FieldError {
  field: string;
  message: string;
}

/** Thrown by the engine and the CLI when a config is invalid; carries every field's problem. */
export class ConfigError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

function isInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

export function checkInt(errors: FieldError[], field: string, value: unknown, min: number, max: number): void {
  if (!isInt(value)) errors.push({ field, message: `must be a whole number (got ${String(value)})` });
  else if (value < min || value > max) errors.push({ field, message: `must be between ${min} and ${max} (got ${value})` });
}

export function checkNumber(errors: FieldError[], field: string, value: unknown, min: number, max: number, minExclusive = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    errors.push({ field, message: `must be a number (got ${String(value)})` });
  } else if ((minExclusive ? value <= min : value < min) || value > max) {
    errors.push({ field, message: `must be ${minExclusive ? 'above' : 'at least'} ${min} and at most ${max} (got ${value})` });
  }
}

/**
 * The checks of one config's fields, each pushing a message that names its field into `errors`:
 * every stage's validator uses these, so a bad value reads the same wherever it is typed.
 */
export function fieldChecks<C extends object>(c: C, errors: FieldError[]) {
  const value = (field: keyof C & string): unknown => c[field];
  return {
    int: (field: keyof C & string, min: number, max: number) => checkInt(errors, field, value(field), min, max),
    num: (field: keyof C & string, min: number, max: number, minExclusive = false) => checkNumber(errors, field, value(field), min, max, minExclusive),
    bool: (field: keyof C & string) => {
      if (typeof value(field) !== 'boolean') errors.push({ field, message: `must be true or false (got ${String(value(field))})` });
    },
    oneOf: (field: keyof C & string, options: readonly unknown[]) => {
      if (!options.includes(value(field))) errors.push({ field, message: `must be one of ${options.join(', ')} (got ${String(value(field))})` });
    },
  };
}

export function validatePretrainConfig(config: PretrainConfig, corpusText?: string): FieldError[] {
  const errors: FieldError[] = [];
  const c = config;
  if (c.corpus?.kind === 'stories') {
    checkInt(errors, 'corpus.num_stories', c.corpus.num_stories, 10, 200_000);
    checkInt(errors, 'corpus.seed', c.corpus.seed, 0, 2 ** 32 - 1);
  } else if (c.corpus?.kind === 'upload') {
    if (corpusText !== undefined && corpusText.trim().length === 0) errors.push({ field: 'corpus', message: 'the uploaded text is empty' });
  } else {
    errors.push({ field: 'corpus', message: "must be the built-in stories or an uploaded .txt file" });
  }

  if (c.tokenizer?.kind !== 'char' && c.tokenizer?.kind !== 'bpe') {
    errors.push({ field: 'tokenizer.kind', message: "must be 'char' or 'bpe'" });
  } else if (c.tokenizer.kind === 'bpe') {
    checkInt(errors, 'tokenizer.vocabSize', c.tokenizer.vocabSize, 257, 8192);
    if (isInt(c.tokenizer.vocabSize) && c.tokenizer.vocabSize < 257) {
      errors.at(-1)!.message = `must be at least 257 for byte-level BPE: 256 bytes + the end-of-text token (got ${c.tokenizer.vocabSize})`;
    }
  }

  const m = c.model ?? ({} as PretrainConfig['model']);
  checkInt(errors, 'model.n_layer', m.n_layer, 1, 12);
  checkInt(errors, 'model.n_embd', m.n_embd, 8, 512);
  checkInt(errors, 'model.n_head', m.n_head, 1, 16);
  checkInt(errors, 'model.n_positions', m.n_positions, 8, 512);
  if (isInt(m.n_embd) && isInt(m.n_head) && m.n_head > 0 && m.n_embd % m.n_head !== 0) {
    errors.push({ field: 'model.n_head', message: `must divide n_embd (${m.n_embd} is not a multiple of ${m.n_head})` });
  }

  checkNumber(errors, 'learning_rate', c.learning_rate, 0, 1, true);
  if (!['constant', 'linear', 'cosine'].includes(c.lr_scheduler_type)) {
    errors.push({ field: 'lr_scheduler_type', message: "must be 'constant', 'linear' or 'cosine'" });
  }
  checkInt(errors, 'max_steps', c.max_steps, 1, 1_000_000);
  checkInt(errors, 'warmup_steps', c.warmup_steps, 0, 1_000_000);
  checkInt(errors, 'per_device_train_batch_size', c.per_device_train_batch_size, 1, 256);
  checkInt(errors, 'seed', c.seed, 0, 2 ** 32 - 1);
  checkNumber(errors, 'weight_decay', c.weight_decay, 0, 1);
  checkNumber(errors, 'max_grad_norm', c.max_grad_norm, 0, 1e6);
  checkInt(errors, 'logging_steps', c.logging_steps, 1, 1_000_000);
  checkInt(errors, 'eval_steps', c.eval_steps, 1, 1_000_000);
  checkInt(errors, 'sample_steps', c.sample_steps, 1, 1_000_000);
  checkNumber(errors, 'eval_fraction', c.eval_fraction, 0, 0.5, true);
  return errors;
}

/**
 * Decodes an uploaded text file, refusing what cannot be a text corpus: empty, over the size
 * limit, binary (NUL bytes), or not valid UTF-8.
 */
export function readUpload(name: string, bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes.length === 0) return { error: `${name} is empty` };
  if (bytes.length > MAX_UPLOAD_BYTES) {
    return { error: `${name} is ${(bytes.length / 1e6).toFixed(1)} MB; the limit is ${MAX_UPLOAD_BYTES / 1e6} MB` };
  }
  const head = bytes.subarray(0, Math.min(bytes.length, 65536));
  if (head.includes(0)) return { error: `${name} looks binary (it contains NUL bytes); upload plain text (.txt)` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { error: `${name} is not valid UTF-8 text; save it as UTF-8 and upload again` };
  }
  if (text.trim().length === 0) return { error: `${name} holds only whitespace` };
  return { text };
}
