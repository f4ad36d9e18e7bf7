/**
 * The live loop: online DPO while a person labels. A session keeps the policy, a frozen reference
 * (the starting weights) and one optimizer alive between labels. Each pair to label is sampled
 * fresh from the CURRENT policy (TRL's OnlineDPOTrainer: generate two completions per prompt, a
 * judge picks one, a DPO step on that pair); here the judge is the person (or the simulated
 * annotator), and each label triggers `steps_per_label` DPO steps on a batch of the newest pair
 * plus the most recent earlier ones, so one label moves the policy within about a second on the
 * default model. Knows nothing of workers or screens.
 */
import * as tf from '@tensorflow/tfjs';
import { modelFromCheckpoint, type ParsedCheckpoint } from '../model/checkpoint.ts';
import type { GPT } from '../model/gpt.ts';
import { sampleResponses } from '../ppo/rollout.ts';
import type { PreferencePair } from '../preferences/types.ts';
import { Rng } from '../rng.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { makeOptimizerStep } from '../train/trainStep.ts';
import { fieldChecks, type FieldError } from '../train/validate.ts';
import { defaultDpoRunConfig, DPO_LOSS_TYPES, type DpoLossType } from './dpoConfig.ts';
import { combinedDpoLoss } from './dpoLosses.ts';
import { dpoLossParams } from './preferenceObjectives.ts';
import { encodeCompletion, logpBatch, pairLogps, rowLogps, type CompletionRow, type LogpBatch } from './sequenceLogps.ts';

export interface LiveDpoConfig {
  /** DPO's beta: how strongly the implicit reward beta * log(pi / pi_ref) is pushed apart. */
  beta: number;
  loss_type: DpoLossType;
  learning_rate: number;
  /** DPO steps run after each label. */
  steps_per_label: number;
  /** Pairs per step: the newest label and up to this many - 1 earlier ones (newest first). */
  per_device_train_batch_size: number;
  max_length: number;
  /** Sampling temperature of the pairs to label and of the watched samples. */
  temperature: number;
  /** Tokens sampled per completion (prompt + completion must fit the model's context). */
  max_new_tokens: number;
  max_grad_norm: number;
  seed: number;
}

export function defaultLiveDpoConfig(): LiveDpoConfig {
  return {
    beta: 0.1,
    loss_type: 'sigmoid',
    // Measured from the SFT checkpoint with the happy-ending annotator (30 labels, 4 steps each):
    // at 2e-3 and 5e-4 the watched samples lost their grammar within 10 labels ("One morning, the
    // One morning, the ..."), as the few recent pairs are revisited many times; at 2e-4 their
    // endings turned happy over 15-25 labels and stayed stories.
    learning_rate: 2e-4,
    steps_per_label: 4,
    per_device_train_batch_size: 8,
    max_length: defaultDpoRunConfig().max_length,
    temperature: 0.9,
    // Room for a whole short story after the prompt on the 64-token base (sample() keeps it within the context).
    max_new_tokens: 56,
    max_grad_norm: 1.0,
    seed: 0,
  };
}

export function validateLiveDpoConfig(c: LiveDpoConfig): FieldError[] {
  const errors: FieldError[] = [];
  const { int, num, oneOf } = fieldChecks(c, errors);
  num('beta', 0, 100, true);
  oneOf('loss_type', DPO_LOSS_TYPES);
  num('learning_rate', 0, 1, true);
  int('steps_per_label', 1, 100);
  int('per_device_train_batch_size', 1, 256);
  int('max_length', 2, 4096);
  num('temperature', 0, 100, true);
  int('max_new_tokens', 1, 4096);
  num('max_grad_norm', 0, 1e6);
  int('seed', 0, 2 ** 32 - 1);
  return errors;
}

/** A label's effect, averaged over its DPO steps (TRL's names). */
export interface LiveDpoUpdate {
  /** DPO steps run so far in the session. */
  step: number;
  /** Labels learned from so far. */
  labels: number;
  loss: number;
  'rewards/chosen': number;
  'rewards/rejected': number;
  'rewards/margins': number;
  'rewards/accuracies': number;
}

/** A completion token by token with beta * log(pi / pi_ref) of each token: DPO's implicit reward. */
export interface TokenRewards {
  tokens: string[];
  rewards: number[];
}

const METRICS = ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies'] as const;

export class LiveDpoSession {
  readonly tokenizer: Tokenizer;
  readonly policy: GPT;
  private readonly reference: GPT;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly optimizerStep: ReturnType<typeof makeOptimizerStep>;
  private readonly rng: Rng;
  private readonly pairs: PreferencePair[] = [];
  /**
   * Completions this session sampled that ran out of tokens before end-of-text (key: prompt, NUL,
   * text). They are scored without the end-of-text token that encodeCompletion adds to a finished
   * answer: otherwise every label would teach the model to stop wherever the sampling was cut.
   */
  private readonly unfinished = new Set<string>();
  private steps = 0;

  constructor(parsed: ParsedCheckpoint, readonly config: LiveDpoConfig) {
    this.tokenizer = parsed.tokenizer;
    this.policy = modelFromCheckpoint(parsed);
    this.reference = modelFromCheckpoint(parsed);
    this.optimizer = tf.train.adam(config.learning_rate, 0.9, 0.999, 1e-8);
    this.optimizerStep = makeOptimizerStep(this.policy.params, this.optimizer, { max_grad_norm: config.max_grad_norm, weight_decay: 0 });
    this.rng = new Rng(config.seed);
  }

  /** Labels learned from so far. */
  get labels(): number {
    return this.pairs.length;
  }

  /** `n` completions of each prompt from the current policy (batched, one KV-cached pass). */
  async sample(prompts: readonly string[], n: number): Promise<string[][]> {
    const context = this.policy.config.n_positions;
    const eos = this.tokenizer.eosId;
    const ids = prompts.map((p) => {
      const encoded = this.tokenizer.encode(p);
      const head = encoded.length ? encoded : [eos];
      // Keep the prompt's end when it would leave no room to write.
      return head.slice(-Math.max(1, context - this.config.max_new_tokens));
    });
    const maxNew = Math.min(this.config.max_new_tokens, context - Math.max(...ids.map((p) => p.length)));
    const rows = ids.flatMap((p) => Array.from({ length: n }, () => p));
    const responses = await sampleResponses(this.policy, rows, Math.max(1, maxNew), this.config.temperature, eos, this.rng);
    const texts = responses.map((r) => this.tokenizer.decode(r.filter((id) => id !== eos)));
    responses.forEach((r, k) => {
      if (!r.includes(eos)) this.unfinished.add(unfinishedKey(prompts[Math.floor(k / n)], texts[k]));
    });
    return prompts.map((_, i) => texts.slice(i * n, (i + 1) * n));
  }

  /**
   * Learns from one more label: steps_per_label DPO steps, each on the newest pair and the most
   * recent earlier ones. Resolves with the steps' mean metrics; a non-finite loss throws and the
   * caller stops the session (the weights of the last finished label are gone with it).
   */
  async learn(pair: PreferencePair): Promise<LiveDpoUpdate> {
    if (pair.chosen === pair.rejected) throw new Error('the chosen and rejected completions are identical: there is nothing to learn from this pair');
    this.pairs.push(pair);
    const { per_device_train_batch_size: B, steps_per_label: K, max_length, learning_rate } = this.config;
    const batchPairs = this.pairs.slice(-B);
    const rows = [...batchPairs.map((p) => this.encode(p.prompt, p.chosen)), ...batchPairs.map((p) => this.encode(p.prompt, p.rejected))]; // chosen B, then rejected B
    const batch = logpBatch(rows, this.tokenizer.eosId);
    // The reference never changes: its log-probs of this batch are computed once for all K steps.
    const ref = tf.tidy(() => rowLogps(this.reference, batch).logps); // [2B]: chosen, then rejected
    const kept: tf.Tensor[] = [];
    try {
      for (let k = 0; k < K; k++) {
        let stats: tf.Tensor | undefined;
        const loss = this.optimizerStep(() => {
          const p = pairLogps(this.policy, batch);
          const [refChosen, refRejected] = tf.split(ref, 2) as tf.Tensor1D[];
          const out = combinedDpoLoss([this.config.loss_type], null, {
            chosen_logps: p.chosen_logps,
            rejected_logps: p.rejected_logps,
            ref_chosen_logps: refChosen,
            ref_rejected_logps: refRejected,
            chosen_lengths: p.chosen_lengths,
            rejected_lengths: p.rejected_lengths,
          }, dpoLossParams({ ...defaultDpoRunConfig(), beta: this.config.beta, loss_type: [this.config.loss_type] }));
          const chosen = out.chosen_rewards;
          const rejected = out.rejected_rewards;
          stats = tf.keep(tf.stack([
            out.loss,
            tf.mean(chosen),
            tf.mean(rejected),
            tf.mean(tf.sub(chosen, rejected)),
            tf.mean(tf.cast(tf.greater(chosen, rejected), 'float32')),
          ].map((v) => tf.reshape(v, []))));
          return out.loss;
        }, learning_rate);
        kept.push(loss, stats!);
      }
      const all = tf.tidy(() => tf.stack(kept.filter((_, i) => i % 2 === 1))); // [K, 5]
      const flat = await all.data();
      all.dispose();
      if (Array.from(flat).some((v) => !Number.isFinite(v))) throw new Error(`the DPO loss became ${flat[0]} after label ${this.pairs.length}; try a lower learning rate`);
      this.steps += K;
      const meanOf = (m: number) => Array.from({ length: K }, (_, k) => flat[k * METRICS.length + m]).reduce((a, b) => a + b, 0) / K;
      return {
        step: this.steps,
        labels: this.pairs.length,
        ...(Object.fromEntries(METRICS.map((name, m) => [name, meanOf(m)])) as Omit<LiveDpoUpdate, 'step' | 'labels'>),
      };
    } finally {
      ref.dispose();
      tf.dispose(kept);
    }
  }

  /** Summed log(pi / pi_ref) [n] of each completion of its prompt: how far the policy has moved on it. */
  async logRatios(prompts: readonly string[], completions: readonly string[]): Promise<number[]> {
    const batch = this.batchOf(prompts, completions);
    const t = tf.tidy(() => tf.sub(rowLogps(this.policy, batch).logps, rowLogps(this.reference, batch).logps));
    const values = Array.from(await t.data());
    t.dispose();
    return values;
  }

  /** Each completion token by token with beta * log(pi / pi_ref) of each token (end-of-text included). */
  async tokenRewards(prompt: string, completions: readonly string[]): Promise<TokenRewards[]> {
    const batch = this.batchOf(completions.map(() => prompt), completions);
    const perPosition = (m: GPT) => {
      const logits = m.forward(tf.tensor2d(batch.ids, [batch.rows, batch.L], 'int32')); // [rows*L, V]
      return tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(batch.targets, 'int32'), logits.shape[1])), 1); // [rows*L]
    };
    const t = tf.tidy(() => tf.mul(tf.sub(perPosition(this.policy), perPosition(this.reference)), this.config.beta));
    const values = await t.data();
    t.dispose();
    return completions.map((_, b) => {
      const out: TokenRewards = { tokens: [], rewards: [] };
      for (let l = 0; l < batch.L; l++) {
        if (!batch.mask[b * batch.L + l]) continue;
        const id = batch.targets[b * batch.L + l];
        out.tokens.push(id === this.tokenizer.eosId ? '<eos>' : this.tokenizer.decode([id]));
        out.rewards.push(values[b * batch.L + l]);
      }
      return out;
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.policy.dispose();
    this.reference.dispose();
  }

  private batchOf(prompts: readonly string[], completions: readonly string[]): LogpBatch {
    return logpBatch(completions.map((c, i) => this.encode(prompts[i], c)), this.tokenizer.eosId);
  }

  /** A prompt + completion row; a completion this session cut short keeps no end-of-text token. */
  private encode(prompt: string, completion: string): CompletionRow {
    const row = encodeCompletion(this.tokenizer, prompt, completion, this.config.max_length);
    if (!this.unfinished.has(unfinishedKey(prompt, completion)) || row.ids.length - 1 <= row.start) return row;
    return { ...row, ids: row.ids.slice(0, -1) };
  }
}

function unfinishedKey(prompt: string, completion: string): string {
  return `${prompt}\u0000${completion}`;
}
