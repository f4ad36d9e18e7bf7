/** The core engine in Node: wasm (SIMD) from the package's dist folder, cpu as the fallback. */
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../core/engine/engine.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';

export const WASM_DIR = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));

export function createNodeEngine(): EngineApi {
  // PROD silences tfjs's "use tfjs-node" nag (tfjs-node downloads a native library; unusable here).
  tf.env().set('PROD', true);
  return createEngine({ wasmPaths: WASM_DIR, candidates: ['wasm', 'cpu'] });
}
