/**
 * Approximate parameter count of the GPT, for the model card. Per layer: attention (4 D^2) +
 * MLP (8 D^2) = 12 D^2; token embedding and output head 2 V D; positions T D. Biases and
 * LayerNorms are left out, so this is an estimate.
 */
import type { ModelConfig } from '../core/model/config.ts';

export function estimateParams(model: Omit<ModelConfig, 'vocab_size'>, vocabSize: number): number {
  const { n_layer: L, n_embd: D, n_positions: T } = model;
  return 12 * L * D * D + 2 * vocabSize * D + T * D;
}

/** A character tokenizer's vocabulary comes from the text; the built-in stories use about this many. */
export const CHAR_VOCAB_ESTIMATE = 64;
