/**
 * Whether training made the model's own writing better by the gold preference: fresh samples of
 * the policy for a fixed set of prompts against the reference model's samples for the same prompts
 * (drawn once before training), judged by the gold score: the higher score wins (1), equal scores
 * tie (1/2), as TRL's WinRateCallback counts a pairwise judge. Also counted the simulated
 * annotator's way (goldPrefers: scores closer than the spec's tie_margin tie, so two happy endings
 * of different warmth are equally good), which caps the rate at 1 - (reference's share of happy
 * endings) / 2 for the happy-ending preference.
 * Sampling is batched on a KV cache (ppo/rollout.ts) at the run's sampling temperature.
 */
import type { GPT } from '../model/gpt.ts';
import { sampleResponses } from '../ppo/rollout.ts';
import { goldPrefers, goldScore, type GoldSpec } from '../preferences/goldScore.ts';
import type { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface PromptSet {
  texts: string[];
  /** Token ids of each prompt (an empty prompt is one end-of-text token). */
  ids: number[][];
  /** New tokens per sample: the sampling setting, cut so prompt + completion fit the context. */
  responseLength: number;
}

/** Prompts ready to sample; a prompt longer than the context allows keeps its last tokens. */
export function promptSet(tokenizer: Tokenizer, texts: readonly string[], context: number, maxNewTokens: number): PromptSet {
  // Room for at least 8 new tokens (or max_new_tokens when fewer): longer prompts lose their start.
  const maxPrompt = Math.max(1, context - Math.max(1, Math.min(8, maxNewTokens)));
  const ids = texts.map((t) => {
    const enc = tokenizer.encode(t);
    return enc.length ? enc.slice(-maxPrompt) : [tokenizer.eosId];
  });
  const longest = Math.max(1, ...ids.map((p) => p.length));
  return { texts: [...texts], ids, responseLength: Math.max(1, Math.min(maxNewTokens, context - longest)) };
}

/** Completions of every prompt in the set as token ids (end-of-text kept where sampling stopped on it). */
export async function sampleCompletionIds(model: GPT, tokenizer: Tokenizer, set: PromptSet, temperature: number, rng: Rng): Promise<number[][]> {
  if (!set.ids.length) return [];
  return sampleResponses(model, set.ids, set.responseLength, temperature, tokenizer.eosId, rng);
}

/** Completions' text, without end-of-text. */
export function decodeCompletions(tokenizer: Tokenizer, completions: readonly number[][]): string[] {
  return completions.map((r) => tokenizer.decode(r.filter((id) => id !== tokenizer.eosId)));
}

/** Completions (text without end-of-text) of every prompt in the set. */
export async function sampleCompletions(model: GPT, tokenizer: Tokenizer, set: PromptSet, temperature: number, rng: Rng): Promise<string[]> {
  return decodeCompletions(tokenizer, await sampleCompletionIds(model, tokenizer, set, temperature, rng));
}

export interface WinRate {
  /** Share of prompts where the policy's sample has the higher gold score (equal scores count 1/2). */
  win_rate: number;
  /** The same with the simulated annotator's rule: scores closer than the spec's tie_margin are a tie (goldPrefers). */
  win_rate_tie_margin: number;
  /** Mean gold score of the policy's samples, and of the reference's. */
  score_mean: number;
  reference_score_mean: number;
  scores: number[];
}

export function goldWinRate(prompts: readonly string[], policy: readonly string[], reference: readonly string[], spec: GoldSpec): WinRate {
  const scores = prompts.map((p, i) => goldScore(p, policy[i], spec));
  const refScores = prompts.map((p, i) => goldScore(p, reference[i], spec));
  let wins = 0;
  let marginWins = 0;
  scores.forEach((s, i) => {
    wins += s > refScores[i] ? 1 : s === refScores[i] ? 0.5 : 0;
    const verdict = goldPrefers(prompts[i], policy[i], reference[i], spec);
    marginWins += verdict === 'a' ? 1 : verdict === 'tie' ? 0.5 : 0;
  });
  const n = Math.max(1, prompts.length);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / n;
  return { win_rate: wins / n, win_rate_tie_margin: marginWins / n, score_mean: mean(scores), reference_score_mean: mean(refScores), scores };
}
