/**
 * Choosing and starting a tfjs backend, the same way in Node and in a Web Worker. The caller
 * says where the wasm binaries are (Vite `?url` imports in the browser, the package's dist
 * folder in Node), since only it knows how files are served.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { installWasmBatchMatMul } from './kernels/wasmBatchMatMul.ts';
import { installWasmFusedOps } from './kernels/wasmFusedOps.ts';
import { installWasmSharedIdentity } from './kernels/wasmIdentity.ts';
import { installWasmLayerNorm } from './kernels/wasmLayerNorm.ts';
import { configureOpsForBackend } from './model/ops.ts';
import type { BackendName } from './train/pretrainConfig.ts';

export const ALL_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** A folder prefix (ending in '/') or a map of the three wasm file names to URLs. */
export type WasmPaths = string | Record<string, string>;

let wasmConfigured = false;

export function configureWasm(paths: WasmPaths): void {
  if (wasmConfigured) return;
  // Threaded wasm needs cross-origin isolation and breaks in minified module workers (PLATFORM.md);
  // on 2 cores it gained ~3%, so SIMD without threads it is.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (typeof paths === 'string') setWasmPaths(paths);
  else setWasmPaths(paths as never);
  wasmConfigured = true;
}

/** Switches tfjs to `name`; throws with a readable message when that backend cannot start here. */
export async function useBackend(name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new Error(`the ${name} backend could not start: ${(e as Error).message}`);
  }
  if (!ok || tf.getBackend() !== name) throw new Error(`the ${name} backend is not available here`);
  // Batched and transposed matMuls on SIMD instead of tfjs-wasm's scalar loop (kernels/batchMatMul.wat).
  const simdMatMul = name === 'wasm' && installWasmBatchMatMul() !== null;
  // LayerNorm forward and backward as one kernel each (kernels/layerNorm.wat).
  const layerNormKernel = name === 'wasm' && installWasmLayerNorm();
  // Attention softmax, GELU, cross-entropy, embedding, bias add, head moves likewise (kernels/fusedOps.wat).
  const fusedOps = name === 'wasm' && installWasmFusedOps();
  // Tensors saved for gradients share their buffer instead of being copied.
  if (name === 'wasm') installWasmSharedIdentity();
  configureOpsForBackend(name, simdMatMul, layerNormKernel, fusedOps);
}

export function activeBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
