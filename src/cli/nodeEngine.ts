/** The core engine in Node: wasm (SIMD) from the package's dist folder, cpu as the fallback. */
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../core/engine/engine.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { nodeReward } from './nodeReward.ts';
import { UsageError } from './args.ts';

export const WASM_DIR = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));

/** The backends tfjs has in Node (webgl and webgpu need a browser). */
export type NodeBackend = 'wasm' | 'cpu';

export function createNodeEngine(): EngineApi {
  // PROD silences tfjs's "use tfjs-node" nag (tfjs-node downloads a native library; unusable here).
  tf.env().set('PROD', true);
  return createEngine({ wasmPaths: WASM_DIR, candidates: ['wasm', 'cpu'], codeReward: nodeReward });
}

/** The --backend flag: wasm (the default) or cpu. */
export function backendFlag(value: string | number | boolean | undefined): NodeBackend {
  const backend = String(value ?? 'wasm');
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--backend must be wasm or cpu in Node (got '${backend}')`);
  return backend;
}

/** Starts the chosen backend; when wasm fails to start, falls back to cpu and says so. */
export async function startBackend(engine: EngineApi, backend: NodeBackend): Promise<void> {
  try {
    await engine.setBackend(backend);
  } catch {
    console.error(`the ${backend} backend could not start; using cpu`);
    await engine.setBackend('cpu');
  }
}
