/**
 * Checks of a preference-optimisation run before it starts, beyond the config's own fields: the
 * pairs (text on both sides, the two sides different), and the models (max_length within the
 * context, a reference model that reads text with the same tokenizer). Each message names the
 * field ('pairs', 'reference', 'max_length', ...) so the UI can show it in place and the CLI can print it.
 */
import type { PreferencePair } from '../preferences/types.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { FieldError } from '../train/validate.ts';

/** At least one pair; every pair with a prompt string and two different, non-empty completions. */
export function validateDpoPairs(pairs: readonly PreferencePair[]): FieldError[] {
  if (!Array.isArray(pairs) || pairs.length === 0) return [{ field: 'pairs', message: 'needs at least one preference pair (a prompt with a chosen and a rejected completion)' }];
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    for (const side of ['prompt', 'chosen', 'rejected'] as const) {
      if (typeof p?.[side] !== 'string') return [{ field: 'pairs', message: `pair ${i + 1} has no '${side}' text` }];
    }
    if (!p.chosen.trim()) return [{ field: 'pairs', message: `pair ${i + 1} has an empty chosen completion` }];
    if (!p.rejected.trim()) return [{ field: 'pairs', message: `pair ${i + 1} has an empty rejected completion` }];
    // Identical sides give the preference nothing to learn (and DPO's margin is exactly 0).
    if (p.chosen === p.rejected) return [{ field: 'pairs', message: `pair ${i + 1} has the same text as chosen and as rejected; remove it or fix its label` }];
  }
  return [];
}

/** The same vocabulary and ids: a reference with another tokenizer would score other token sequences. */
export function sameTokenizer(a: Tokenizer, b: Tokenizer): boolean {
  return a.kind === b.kind && a.vocabSize === b.vocabSize && a.eosId === b.eosId && JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
}

export function validateAgainstModels(maxLength: number, policyContext: number, reference?: { tokenizer: Tokenizer; context: number; policyTokenizer: Tokenizer }): FieldError[] {
  const errors: FieldError[] = [];
  if (maxLength > policyContext) errors.push({ field: 'max_length', message: `must be at most the model's context, ${policyContext} tokens (got ${maxLength})` });
  if (reference) {
    if (!sameTokenizer(reference.tokenizer, reference.policyTokenizer)) {
      errors.push({ field: 'reference', message: `the reference model uses another tokenizer (${reference.tokenizer.kind}, ${reference.tokenizer.vocabSize} tokens) than the model being trained (${reference.policyTokenizer.kind}, ${reference.policyTokenizer.vocabSize} tokens); pick a reference trained from the same base` });
    } else if (maxLength > reference.context) {
      errors.push({ field: 'reference', message: `its context (${reference.context} tokens) is shorter than max_length (${maxLength})` });
    }
  }
  return errors;
}
