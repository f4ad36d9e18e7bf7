/**
 * The page `npm run bench -- --browser` drives: the app's own training worker, wrapped once, with
 * a main-thread long-task counter. It exposes `window.rlhfBench` for the script to call.
 */
import * as Comlink from 'comlink';
import type { BenchSpec } from '../core/engine/benchmark.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import type { BackendName } from '../core/train/pretrainConfig.ts';
import { ppoBenchApi } from './ppoBenchPage.ts';
import { grpoBenchApi } from './grpoBenchPage.ts';
import { grpoCodeBenchApi } from './grpoCodeBenchPage.ts';
import { rewardBenchApi } from './rewardBenchPage.ts';
import { dpoBenchApi } from './dpoBenchPage.ts';
import { sandboxBenchApi } from './sandboxBenchPage.ts';

const engine = Comlink.wrap<EngineApi>(new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module' }));
const log = document.getElementById('log')!;

let longTasks = 0;
new PerformanceObserver((list) => {
  longTasks += list.getEntries().filter((e) => e.duration > 50).length;
}).observe({ type: 'longtask', buffered: false });

const api = {
  ...rewardBenchApi(engine),
  ...ppoBenchApi(engine),
  ...grpoBenchApi(engine),
  ...grpoCodeBenchApi(engine),
  ...dpoBenchApi(engine),
  ...sandboxBenchApi(),
  async setBackend(name: BackendName) {
    return engine.setBackend(name);
  },
  async benchmark(spec: BenchSpec) {
    const before = longTasks;
    const result = await engine.benchmark(spec);
    log.textContent += JSON.stringify(result) + '\n';
    return { ...result, mainThreadLongTasks: longTasks - before };
  },
};

(window as unknown as { rlhfBench: typeof api }).rlhfBench = api;
document.body.dataset.ready = 'true';
