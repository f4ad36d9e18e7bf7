/**
 * Comparison records to label: for each prompt, 2-4 completions sampled from one checkpoint with
 * the chosen sampling settings, and a seeded random display order (recorded, so labelers cannot
 * learn a position pattern and the order can be shown again). Runs in the worker (or Node).
 */
import { generateIds } from '../model/generate.ts';
import type { GPT } from '../model/gpt.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointFiles, SamplingConfig } from '../train/pretrainConfig.ts';

export interface ComparisonSpec {
  prompts: { prompt: string; attributes?: Record<string, string> }[];
  /** Completions per prompt, 2 to 4. */
  completions: number;
  sampling: SamplingConfig;
  seed: number;
}

/** What the engine's generateComparisons takes: the spec and the checkpoint to sample from. */
export interface ComparisonRequest extends ComparisonSpec {
  from: CheckpointFiles;
}

export interface GeneratedComparison {
  prompt: string;
  completions: string[];
  /** order[p] = index into `completions` shown at position p (A, B, ...). */
  order: number[];
  attributes?: Record<string, string>;
}

export const MIN_COMPLETIONS = 2;
export const MAX_COMPLETIONS = 4;

export function validateComparisonSpec(spec: ComparisonSpec): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  if (spec.prompts.length === 0) errors.push({ field: 'prompts', message: 'needs at least one prompt' });
  if (spec.prompts.some((p) => p.prompt.trim() === '')) errors.push({ field: 'prompts', message: 'a prompt is empty' });
  if (!Number.isInteger(spec.completions) || spec.completions < MIN_COMPLETIONS || spec.completions > MAX_COMPLETIONS) {
    errors.push({ field: 'completions', message: `must be a whole number from ${MIN_COMPLETIONS} to ${MAX_COMPLETIONS}` });
  }
  const s = spec.sampling;
  if (!(s.temperature >= 0)) errors.push({ field: 'sampling.temperature', message: 'must be 0 or more' });
  if (!(Number.isInteger(s.max_new_tokens) && s.max_new_tokens >= 1)) errors.push({ field: 'sampling.max_new_tokens', message: 'must be a whole number of at least 1' });
  if (!(s.top_p > 0 && s.top_p <= 1)) errors.push({ field: 'sampling.top_p', message: 'must be above 0 and at most 1' });
  if (!(Number.isInteger(s.top_k) && s.top_k >= 0)) errors.push({ field: 'sampling.top_k', message: 'must be a whole number, 0 or more' });
  return errors;
}

/**
 * Samples the comparisons. Completions are capped so prompt + completion fit the model's context
 * (a sliding window would forget the prompt). Stops early, returning what is done, when told to.
 */
export async function generateComparisonSet(
  model: GPT,
  tokenizer: Tokenizer,
  spec: ComparisonSpec,
  onProgress: (done: number, total: number) => void,
  shouldStop: () => boolean,
): Promise<GeneratedComparison[]> {
  const rng = new Rng(spec.seed);
  const out: GeneratedComparison[] = [];
  const T = model.config.n_positions;
  for (const { prompt, attributes } of spec.prompts) {
    const ids = tokenizer.encode(prompt);
    if (ids.length >= T) throw new Error(`the prompt "${prompt.trim()}" is ${ids.length} tokens; the model's context is ${T}`);
    const sampling = { ...spec.sampling, max_new_tokens: Math.min(spec.sampling.max_new_tokens, T - ids.length) };
    const completions: string[] = [];
    for (let c = 0; c < spec.completions; c++) {
      if (shouldStop()) return out;
      completions.push(tokenizer.decode(await generateIds(model, ids, sampling, tokenizer.eosId, rng)));
    }
    out.push({ prompt, completions, order: rng.permutation(spec.completions), ...(attributes ? { attributes } : {}) });
    onProgress(out.length, spec.prompts.length);
  }
  return out;
}
