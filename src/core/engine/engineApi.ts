/**
 * The contract between the UI and the training core. The worker exposes an object of this
 * shape through comlink (workers/engine.worker.ts); the CLI and tests call the same object
 * directly in Node. Everything crossing it is structured-cloneable.
 */
import type { LiveDpoApi } from './liveDpoEngine.ts';
import type { GPT } from '../model/gpt.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { RunControls } from '../train/runControls.ts';
import type { BenchResult, BenchSpec } from './benchmark.ts';
import type { SftConfig } from '../sft/sftConfig.ts';
import type { RewardEvalReport } from '../reward/rewardEval.ts';
import type { RewardRequest } from '../reward/rewardTrainer.ts';
import type { PpoRequest } from '../ppo/ppoTrainer.ts';
import type { GrpoRequest } from '../grpo/grpoTrainer.ts';
import type { BestOfNRequest, BestOfNResult } from '../grpo/bestOfNBaseline.ts';
import type { DpoRequest } from '../dpo/dpoTrainer.ts';
import type { RewardFailure } from '../rewards/userRewardSource.ts';
import type { ComparisonRequest, GeneratedComparison } from '../preferences/comparisons.ts';
import type {
  BackendChoice,
  BackendName,
  CheckpointFiles,
  MetricRow,
  PretrainConfig,
  Sample,
  SamplingConfig,
} from '../train/pretrainConfig.ts';

/** Median ms of a few measured training steps per backend; null where it is unavailable or failed. */
export type BackendTimings = Partial<Record<BackendName, number | null>>;

export interface BackendReport {
  backend: BackendName;
  /** Present when 'auto' measured the backends to choose. */
  timings?: BackendTimings;
}

export interface PretrainRequest {
  config: PretrainConfig;
  /** The uploaded text when config.corpus.kind is 'upload'. */
  corpusText?: string;
  /** Continue from this checkpoint (its model shape and tokenizer win over config's). */
  from?: CheckpointFiles;
  /** Step count the checkpoint had reached, when continuing. */
  fromStep?: number;
  sampling: SamplingConfig;
  /** Fixed prompts for the samples panel. */
  prompts: string[];
}

export interface SftRequest {
  config: SftConfig;
  /** The (prompt, completion) rows; config.eval_fraction of them is held out. */
  rows: { prompt: string; completion: string }[];
  /** The checkpoint to fine-tune (the shipped base or any run); its tokenizer is used. */
  from: CheckpointFiles;
  /** What `from` is, in words ("the base checkpoint", "run #4"); saved with the checkpoints. */
  fromLabel?: string;
  sampling: SamplingConfig;
  /** Fixed prompts, sampled before the first step (step 0) and every sample_steps. */
  prompts: string[];
}

export type TrainEvent =
  /** Pretraining and SFT count tokens; stages that train on records (reward model) count examples. */
  | { type: 'started'; backend: BackendName; nParams: number; vocabSize: number; numTrainTokens?: number; numEvalTokens?: number; numTrainExamples?: number; numEvalExamples?: number }
  | { type: 'metrics'; rows: MetricRow[] }
  | { type: 'samples'; step: number; samples: Sample[] }
  /** The last good checkpoint; sent at each eval and at the end. */
  | { type: 'checkpoint'; step: number; files: CheckpointFiles }
  /** The reward model's held-out rewards and most-wrong pairs, for the scoring view; sent at each eval. */
  | { type: 'rewardEval'; report: RewardEvalReport }
  | { type: 'status'; state: 'running' | 'paused'; step: number }
  /**
   * GRPO/RLOO: calls of a reward function that failed at this step (a throw, a non-number, a
   * timeout), each with the function's name, the line and the sample; those completions count as
   * "cannot judge" (NaN) and the run goes on. `counts` is every failure of the step by function.
   */
  | { type: 'rewardFailures'; step: number; failures: NamedRewardFailure[]; counts: Record<string, number> };

/** A failed call of a named reward function (src/core/rewards/userRewardSource.ts RewardFailure). */
export type NamedRewardFailure = RewardFailure & { function: string };

export interface RunOutcome {
  status: 'finished' | 'stopped' | 'failed';
  step: number;
  /** Why it failed, in words a user understands (e.g. "loss became NaN at step 41"). */
  message?: string;
  /** Step of the last checkpoint sent, if any. */
  checkpointStep?: number;
}

/**
 * A training run of any stage (pretraining, SFT, the reward model, ...), as the engine drives it:
 * it runs until done or told to stop, reports through `onEvents`, and keeps its model afterwards
 * so the samples panel can still draw from it.
 */
export interface TrainingJob {
  readonly model: GPT | null;
  readonly tokenizer: Tokenizer | null;
  run(onEvents: (events: TrainEvent[]) => void, controls: RunControls): Promise<RunOutcome>;
  dispose(): void;
}

export interface EngineApi extends LiveDpoApi {
  /** Initialises a backend. 'auto' uses `known` timings if given, else measures each backend. */
  setBackend(choice: BackendChoice, known?: BackendTimings): Promise<BackendReport>;
  /** Times a few training steps of a small model on each backend that initialises. */
  measureBackends(): Promise<BackendTimings>;
  /** Validates the request, trains, and resolves when the run ends. Events arrive in batches. */
  pretrain(request: PretrainRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /** Supervised fine-tuning from a checkpoint; same events, controls and outcome as pretrain. */
  sft(request: SftRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /** Trains a reward model (a scalar head on a chosen checkpoint) on preference pairs. */
  trainReward(request: RewardRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /** PPO from a language-model checkpoint against a reward model or the gold score (TRL's PPOTrainer loop). */
  ppo(request: PpoRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /** GRPO or RLOO from a language-model checkpoint with weighted reward functions (TRL's GRPOTrainer / RLOOTrainer loop). */
  grpo(request: GrpoRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /**
   * The best-of-n baseline of the overoptimization chart: n_max samples per prompt from a checkpoint,
   * ranked by the proxy reward, with gold and proxy scores per n. Reports progress per prompt; stop() ends it early.
   */
  bestOfN(request: BestOfNRequest, onProgress: (done: number, total: number) => void): Promise<BestOfNResult>;
  /** Offline preference optimisation (DPO, KTO, ORPO, CPO) from a language-model checkpoint on preference pairs. */
  dpo(request: DpoRequest, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome>;
  /** Why three files cannot be loaded as a checkpoint (every check a run makes), or null when they can. */
  checkCheckpoint(files: CheckpointFiles): Promise<string | null>;
  /** Rewards of (prompt, completion) items under a reward-model checkpoint, in order. */
  scoreTexts(reward: CheckpointFiles, items: { prompt: string; completion: string }[]): Promise<number[]>;
  /**
   * Samples 2-4 completions per prompt from a checkpoint, each comparison in a seeded random display
   * order; reports progress per prompt; stop() ends it early with the comparisons done so far.
   */
  generateComparisons(request: ComparisonRequest, onProgress: (done: number, total: number) => void): Promise<GeneratedComparison[]>;
  pause(): void;
  resume(): void;
  stop(): void;
  /** Changes the sampling settings of the running (or next) run's samples panel. */
  setSampling(sampling: SamplingConfig): void;
  /** Samples from a checkpoint (or the model of the current run when omitted). */
  sample(prompts: string[], sampling: SamplingConfig, from?: CheckpointFiles): Promise<Sample[]>;
  /** Times training steps of a preset on the active backend (npm run bench). */
  benchmark(spec: BenchSpec): Promise<BenchResult>;
}
