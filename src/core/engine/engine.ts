/**
 * The training engine: one object with the EngineApi shape. The worker exposes it through
 * comlink; the CLI and tests use it directly. It owns the backend choice, the current run, and
 * the pause/stop flags that the run checks between steps.
 */
import { liveDpoMethods } from './liveDpoEngine.ts';
import * as tf from '@tensorflow/tfjs';
import { ALL_BACKENDS, activeBackend, configureWasm, useBackend, type WasmPaths } from '../backend.ts';
import { modelFromCheckpoint, parseCheckpoint } from '../model/checkpoint.ts';
import { MODEL_PRESETS } from '../model/config.ts';
import { generateSamples } from '../model/generate.ts';
import { GPT } from '../model/gpt.ts';
import { Rng } from '../rng.ts';
import { DEFAULT_SAMPLING } from '../train/defaults.ts';
import { PretrainRun } from '../train/pretrainer.ts';
import { SftRun } from '../sft/sftTrainer.ts';
import { RewardRun, type RewardRequest } from '../reward/rewardTrainer.ts';
import { RewardScorer } from '../reward/rewardScorer.ts';
import { PpoRun, type PpoRequest } from '../ppo/ppoTrainer.ts';
import { GrpoRun, type GrpoRequest } from '../grpo/grpoTrainer.ts';
import type { CodeRewardFactory } from '../grpo/rewardSources.ts';
import { bestOfNBaseline, type BestOfNRequest } from '../grpo/bestOfNBaseline.ts';
import { DpoRun, type DpoRequest } from '../dpo/dpoTrainer.ts';
import { generateComparisonSet, validateComparisonSpec, type ComparisonRequest } from '../preferences/comparisons.ts';
import type { BackendChoice, BackendName, CheckpointFiles, SamplingConfig } from '../train/pretrainConfig.ts';
import { makeTrainStep } from '../train/trainStep.ts';
import { benchmarkTraining, type BenchSpec } from './benchmark.ts';
import type { BackendReport, BackendTimings, EngineApi, PretrainRequest, RunOutcome, SftRequest, TrainEvent, TrainingJob } from './engineApi.ts';

export interface EngineOptions {
  wasmPaths: WasmPaths;
  /** Backends to consider for 'auto' (Node has no webgpu or webgl). */
  candidates?: readonly BackendName[];
  /** How GRPO/RLOO build user-written reward functions ('code' sources); without it such a run is refused. */
  codeReward?: CodeRewardFactory;
}

/** Median ms of `steps` training steps of the tiny preset, after warm-up, on the active backend. */
export async function timeTrainingSteps(steps = 3): Promise<number> {
  const { label: _l, ...shape } = MODEL_PRESETS.tiny;
  const model = GPT.create({ ...shape, vocab_size: 64 }, 0);
  const optimizer = tf.train.adam(1e-3);
  const step = makeTrainStep(model, optimizer, { max_grad_norm: 1, weight_decay: 0 });
  const B = 4;
  const ids = new Int32Array(B * shape.n_positions).map((_, i) => (i * 7) % 64);
  const times: number[] = [];
  try {
    for (let i = 0; i < steps + 2; i++) {
      const t0 = performance.now();
      const loss = step(ids, ids, B, 1e-3);
      await loss.data();
      loss.dispose();
      if (i >= 2) times.push(performance.now() - t0);
    }
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function createEngine(options: EngineOptions): EngineApi {
  configureWasm(options.wasmPaths);
  const candidates = options.candidates ?? ALL_BACKENDS;
  /** The current (or last) training job of any stage; its model serves sample() afterwards. */
  let run: TrainingJob | null = null;
  let running = false;
  let stopRequested = false;
  let paused = false;
  let resumeWaiters: (() => void)[] = [];
  let sampling: SamplingConfig = DEFAULT_SAMPLING;
  let emit: ((events: TrainEvent[]) => void) | null = null;
  /** Keeps the last reward model it scored with (the labeling hint scores record after record). */
  const rewardScorer = new RewardScorer();

  /** Runs one job of any stage with the shared pause / stop / sampling controls. */
  async function runJob(job: TrainingJob, initialSampling: SamplingConfig, onEvents: (events: TrainEvent[]) => void): Promise<RunOutcome> {
    if (running) {
      job.dispose();
      throw new Error('a run is already training; stop it first');
    }
    run?.dispose();
    run = job;
    running = true;
    stopRequested = false;
    paused = false;
    sampling = initialSampling;
    // Through comlink the events travel on the callback's own MessagePort and the outcome on the
    // worker's, so the outcome could overtake the last batch (its final metrics and checkpoint) and
    // the page would stop recording first. A remote callback returns a promise that settles once
    // the page has handled the batch: the outcome waits for the last one (the port keeps order).
    let delivered: Promise<unknown> = Promise.resolve();
    const send = (events: TrainEvent[]) => {
      delivered = Promise.resolve(onEvents(events) as unknown).catch(() => undefined);
    };
    emit = send;
    try {
      const outcome = await job.run(send, {
        shouldStop: () => stopRequested,
        waitWhilePaused: () => (paused && !stopRequested ? new Promise<void>((r) => resumeWaiters.push(r)) : Promise.resolve()),
        sampling: () => sampling,
      });
      await delivered;
      return outcome;
    } finally {
      running = false;
      emit = null;
    }
  }

  const wake = () => {
    resumeWaiters.forEach((r) => r());
    resumeWaiters = [];
  };

  const engine: EngineApi = {
    ...liveDpoMethods(() => running),

    async measureBackends() {
      const timings: BackendTimings = {};
      const previous = tf.getBackend();
      for (const name of candidates) {
        try {
          await useBackend(name);
          timings[name] = await timeTrainingSteps();
        } catch {
          timings[name] = null;
        }
      }
      if (previous) await useBackend(previous as BackendName).catch(() => undefined);
      return timings;
    },

    async setBackend(choice: BackendChoice, known?: BackendTimings): Promise<BackendReport> {
      if (running) throw new Error('cannot change the backend while a run is training');
      if (choice !== 'auto') {
        await useBackend(choice);
        return { backend: choice };
      }
      const timings = known && Object.keys(known).length ? known : await engine.measureBackends();
      const ranked = (Object.entries(timings) as [BackendName, number | null][])
        .filter(([, ms]) => ms !== null && Number.isFinite(ms))
        .sort((a, b) => (a[1] as number) - (b[1] as number));
      for (const [name] of ranked) {
        try {
          await useBackend(name);
          return { backend: name, timings };
        } catch {
          /* try the next fastest */
        }
      }
      throw new Error('no tfjs backend could start on this device');
    },

    async pretrain(request: PretrainRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new PretrainRun(request), request.sampling, onEvents);
    },

    async sft(request: SftRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new SftRun(request), request.sampling, onEvents);
    },

    async trainReward(request: RewardRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new RewardRun(request), sampling, onEvents);
    },

    async ppo(request: PpoRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new PpoRun(request), sampling, onEvents);
    },

    async grpo(request: GrpoRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new GrpoRun(request, { codeReward: options.codeReward }), sampling, onEvents);
    },

    async dpo(request: DpoRequest, onEvents: (events: TrainEvent[]) => void) {
      return runJob(new DpoRun(request), request.sampling, onEvents);
    },

    async checkCheckpoint(files: CheckpointFiles) {
      try {
        parseCheckpoint(files);
        return null;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    },

    async scoreTexts(reward: CheckpointFiles, items: { prompt: string; completion: string }[]) {
      return rewardScorer.score(reward, items);
    },

    async generateComparisons(request: ComparisonRequest, onProgress: (done: number, total: number) => void) {
      if (running) throw new Error('a run is training; wait for it to finish or stop it first');
      const errors = validateComparisonSpec(request);
      if (errors.length) throw new Error(`${errors[0].field}: ${errors[0].message}`);
      const parsed = parseCheckpoint(request.from);
      const model = modelFromCheckpoint(parsed);
      // Marked as running so stop() ends it and no training run starts meanwhile.
      running = true;
      stopRequested = false;
      try {
        return await generateComparisonSet(model, parsed.tokenizer, request, onProgress, () => stopRequested);
      } finally {
        running = false;
        model.dispose();
      }
    },

    async bestOfN(request: BestOfNRequest, onProgress: (done: number, total: number) => void) {
      if (running) throw new Error('a run is training; wait for it to finish or stop it first');
      // Marked as running so stop() ends it and no training run starts meanwhile.
      running = true;
      stopRequested = false;
      try {
        return await bestOfNBaseline(request, onProgress, () => stopRequested, options.codeReward);
      } finally {
        running = false;
      }
    },

    pause() {
      if (!running || paused) return;
      paused = true;
      emit?.([{ type: 'status', state: 'paused', step: -1 }]);
    },

    resume() {
      if (!paused) return;
      paused = false;
      emit?.([{ type: 'status', state: 'running', step: -1 }]);
      wake();
    },

    stop() {
      stopRequested = true;
      paused = false;
      wake();
    },

    setSampling(s: SamplingConfig) {
      sampling = s;
    },

    async sample(prompts: string[], s: SamplingConfig, from?: CheckpointFiles) {
      const rng = new Rng(Date.now() >>> 0);
      if (from) {
        const parsed = parseCheckpoint(from);
        const model = modelFromCheckpoint(parsed);
        try {
          return await generateSamples(model, parsed.tokenizer, prompts, s, rng);
        } finally {
          model.dispose();
        }
      }
      if (!run?.model || !run.tokenizer) throw new Error('no model yet: train one or choose a checkpoint');
      return generateSamples(run.model, run.tokenizer, prompts, s, rng);
    },

    async benchmark(spec: BenchSpec) {
      if (running) throw new Error('cannot benchmark while a run is training');
      return benchmarkTraining(spec);
    },
  };
  return engine;
}

export { activeBackend };
