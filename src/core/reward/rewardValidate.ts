/**
 * Checks of a reward run before it starts: the config's fields, the preference pairs, and whether
 * the starting checkpoint can read them (context length, tokenizer). Each message names the field
 * or the record it is about, so the UI can show it in place and the CLI can print it.
 */
import type { PreferencePair } from '../preferences/types.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { checkInt, checkNumber, type FieldError } from '../train/validate.ts';
import type { RewardConfig } from './rewardConfig.ts';

export function validateRewardConfig(c: RewardConfig): FieldError[] {
  const errors: FieldError[] = [];
  checkNumber(errors, 'learning_rate', c.learning_rate, 0, 1, true);
  if (!['constant', 'linear', 'cosine'].includes(c.lr_scheduler_type)) errors.push({ field: 'lr_scheduler_type', message: "must be 'constant', 'linear' or 'cosine'" });
  checkInt(errors, 'warmup_steps', c.warmup_steps, 0, 1_000_000);
  checkInt(errors, 'per_device_train_batch_size', c.per_device_train_batch_size, 1, 256);
  checkNumber(errors, 'num_train_epochs', c.num_train_epochs, 0, 10_000, true);
  if (c.max_steps !== -1) checkInt(errors, 'max_steps', c.max_steps, 1, 1_000_000);
  checkInt(errors, 'max_length', c.max_length, 2, 4096);
  if (c.center_rewards_coefficient !== null) checkNumber(errors, 'center_rewards_coefficient', c.center_rewards_coefficient, 0, 100);
  checkNumber(errors, 'eval_fraction', c.eval_fraction, 0, 0.5, true);
  checkInt(errors, 'seed', c.seed, 0, 2 ** 32 - 1);
  checkInt(errors, 'logging_steps', c.logging_steps, 1, 1_000_000);
  checkInt(errors, 'eval_steps', c.eval_steps, 1, 1_000_000);
  if (typeof c.eval_on_start !== 'boolean') errors.push({ field: 'eval_on_start', message: `must be true or false (got ${String(c.eval_on_start)})` });
  checkNumber(errors, 'max_grad_norm', c.max_grad_norm, 0, 1e6);
  checkNumber(errors, 'weight_decay', c.weight_decay, 0, 1);
  if (c.trainable_layers !== 'all') checkInt(errors, 'trainable_layers', c.trainable_layers, 0, 64);
  return errors;
}

const SIDES = ['prompt', 'chosen', 'rejected'] as const;

/** The pairs themselves: enough of them, text in every completion, finite margins. */
export function validatePairs(pairs: readonly PreferencePair[]): FieldError[] {
  if (pairs.length < 2) {
    return [{ field: 'data', message: `needs at least 2 preference pairs (one to train on, one to hold out); got ${pairs.length}` }];
  }
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    for (const side of SIDES) {
      if (typeof p[side] !== 'string') return [{ field: 'data', message: `pair ${i + 1} has no '${side}' text` }];
    }
    if (!p.chosen.trim() || !p.rejected.trim()) return [{ field: 'data', message: `pair ${i + 1} has an empty ${p.chosen.trim() ? 'rejected' : 'chosen'} completion` }];
    if (p.margin !== undefined && !Number.isFinite(p.margin)) return [{ field: 'data', message: `pair ${i + 1} has margin ${String(p.margin)}; a margin must be a number` }];
  }
  return [];
}

/**
 * The starting checkpoint against the config and the data: max_length must fit its context, and
 * its tokenizer must represent every text (a character tokenizer maps unseen characters to an
 * unknown token, which would make different texts look alike to the reward model).
 */
export function validateAgainstModel(c: RewardConfig, pairs: readonly PreferencePair[], tokenizer: Tokenizer, nPositions: number): FieldError[] {
  const errors: FieldError[] = [];
  if (Number.isInteger(c.max_length) && c.max_length > nPositions) {
    errors.push({ field: 'max_length', message: `must be at most the model's context, ${nPositions} tokens (got ${c.max_length})` });
  }
  for (let i = 0; i < pairs.length && !errors.some((e) => e.field === 'tokenizer'); i++) {
    for (const side of SIDES) {
      const text = pairs[i][side];
      if (tokenizer.decode(tokenizer.encode(text)) !== text) {
        errors.push({ field: 'tokenizer', message: `the checkpoint's ${tokenizer.kind} tokenizer cannot represent pair ${i + 1}'s ${side} text (it has characters outside its vocabulary); start from a checkpoint whose tokenizer covers the data` });
        break;
      }
    }
  }
  return errors;
}
