/**
 * The live loop's side of the engine: one online-DPO session (dpo/liveDpo.ts) kept alive in the
 * worker between labels. `learn` does everything a label needs in one call, so the page waits
 * on a single message: the DPO steps, fresh samples for the watched prompts with their distance
 * from the start, the labeled pair's per-token implicit rewards, and the next pair to label.
 */
import { activeBackend } from '../backend.ts';
import { LiveDpoSession, validateLiveDpoConfig, type LiveDpoConfig, type LiveDpoUpdate, type TokenRewards } from '../dpo/liveDpo.ts';
import { checkpointFiles, parseCheckpoint, type CheckpointInfo } from '../model/checkpoint.ts';
import { countParameters } from '../model/gpt.ts';
import type { PreferencePair } from '../preferences/types.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { ConfigError } from '../train/validate.ts';

export interface LiveDpoStartRequest {
  from: CheckpointFiles;
  config: LiveDpoConfig;
}

/** A watched prompt's fresh completion and how far the policy has moved on it: sum of log(pi / pi_ref). */
export interface LiveWatchSample {
  prompt: string;
  completion: string;
  logratio: number;
}

export interface LiveDpoStep {
  update: LiveDpoUpdate;
  watch: LiveWatchSample[];
  /** The labeled pair after the update, token by token: beta * log(pi / pi_ref). */
  chosen: TokenRewards;
  rejected: TokenRewards;
  /** Two fresh completions of the next prompt to label. */
  next: { prompt: string; completions: string[] };
  /** Seconds the worker spent on the label (steps, samples, token rewards). */
  seconds: number;
}

export interface LiveDpoApi {
  /** Starts a session from a checkpoint (the reference is a frozen copy); replaces any open one. */
  liveStart(request: LiveDpoStartRequest): Promise<{ backend: string; nParams: number }>;
  /** Fresh completions (n per prompt) from the session's current policy, each with its log-ratio to the start. */
  liveSample(prompts: string[], n: number): Promise<LiveWatchSample[][]>;
  /** Learns from one label, then samples the watched prompts and the next pair (prompt `nextPrompt`). */
  liveLearn(pair: PreferencePair, watchPrompts: string[], nextPrompt: string): Promise<LiveDpoStep>;
  /** The session's policy as a checkpoint (stage 'dpo'). */
  liveCheckpoint(info: CheckpointInfo): Promise<CheckpointFiles>;
  liveStop(): Promise<void>;
}

export function liveDpoMethods(busy: () => boolean): LiveDpoApi {
  let session: LiveDpoSession | null = null;
  const open = (): LiveDpoSession => {
    if (!session) throw new Error('the live loop is not running: press Start');
    return session;
  };
  const sampleWithRatios = async (s: LiveDpoSession, prompts: string[], n: number): Promise<LiveWatchSample[][]> => {
    const completions = await s.sample(prompts, n);
    const flatPrompts = prompts.flatMap((p) => Array.from({ length: n }, () => p));
    const ratios = await s.logRatios(flatPrompts, completions.flat());
    return completions.map((row, i) => row.map((completion, j) => ({ prompt: prompts[i], completion, logratio: ratios[i * n + j] })));
  };
  return {
    async liveStart({ from, config }) {
      if (busy()) throw new Error('a training run is using the engine: stop it first');
      const errors = validateLiveDpoConfig(config);
      if (errors.length) throw new ConfigError(errors);
      let parsed;
      try {
        parsed = parseCheckpoint(from);
      } catch (e) {
        throw new ConfigError([{ field: 'from', message: `the checkpoint cannot be read: ${(e as Error).message}` }]);
      }
      session?.dispose();
      session = new LiveDpoSession(parsed, config);
      return { backend: activeBackend(), nParams: countParameters(parsed.modelConfig) };
    },
    async liveSample(prompts, n) {
      return sampleWithRatios(open(), prompts, n);
    },
    async liveLearn(pair, watchPrompts, nextPrompt) {
      const s = open();
      const t0 = performance.now();
      const update = await s.learn(pair);
      const watch = (await sampleWithRatios(s, watchPrompts, 1)).map((row) => row[0]);
      const [chosen, rejected] = await s.tokenRewards(pair.prompt, [pair.chosen, pair.rejected]);
      const [completions] = await s.sample([nextPrompt], 2);
      return { update, watch, chosen, rejected, next: { prompt: nextPrompt, completions }, seconds: (performance.now() - t0) / 1000 };
    },
    async liveCheckpoint(info) {
      const s = open();
      return checkpointFiles(s.policy, s.tokenizer, info);
    },
    async liveStop() {
      session?.dispose();
      session = null;
    },
  };
}
