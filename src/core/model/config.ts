/**
 * The tiny GPT's shape. Field names follow Hugging Face's GPT-2 config.json
 * (vocab_size, n_positions, n_embd, n_layer, n_head) so a reader of one knows the other.
 */
export interface ModelConfig {
  vocab_size: number;
  /** Context length: the most tokens the model attends over. */
  n_positions: number;
  /** Width of the residual stream (d_model). */
  n_embd: number;
  n_layer: number;
  /** Attention heads; n_embd must divide by it. */
  n_head: number;
}

export type ModelPresetName = 'ref' | 'tiny' | 'small' | 'medium' | 'large';

/** Presets without vocab_size: that comes from the tokenizer. */
export const MODEL_PRESETS: Record<ModelPresetName, Omit<ModelConfig, 'vocab_size'> & { label: string }> = {
  // The model of ../shared/bench/torch_reference.py, layer for layer (with vocab 64).
  ref: { label: 'ref (bench: 64-d, 2 layers, context 64)', n_positions: 64, n_embd: 64, n_layer: 2, n_head: 4 },
  tiny: { label: 'tiny (~0.1M params)', n_positions: 64, n_embd: 48, n_layer: 2, n_head: 4 },
  small: { label: 'small (~0.3M params)', n_positions: 128, n_embd: 64, n_layer: 4, n_head: 4 },
  medium: { label: 'medium (~0.8M params)', n_positions: 128, n_embd: 96, n_layer: 6, n_head: 4 },
  large: { label: 'large (~2M params)', n_positions: 128, n_embd: 160, n_layer: 6, n_head: 8 },
};
