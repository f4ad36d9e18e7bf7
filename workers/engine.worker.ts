/// <reference lib="webworker" />
/** The training worker: exposes the core engine through comlink, nothing else. */
import * as Comlink from 'comlink';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createEngine } from '../src/core/engine/engine.ts';
import { sandboxedReward } from '../src/core/rewards/sandboxedReward.ts';

const engine = createEngine({
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  },
  // User-written reward functions run in their own sandbox worker, started from this one.
  codeReward: sandboxedReward,
});

Comlink.expose(engine);
