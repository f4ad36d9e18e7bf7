/**
 * Loads adam.wat over tfjs-backend-wasm's memory: one SIMD pass per variable for Adam (and one
 * per gradient for the global norm), in place of tfjs's ~10 elementwise kernels per variable.
 * Null where the module cannot run here (no wasm SIMD, or a threaded build's shared memory); the
 * caller then keeps tfjs's optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_WASM_BASE64 } from './adamWasm.ts';
import { decodeBase64, wasmBackendMemory } from './wasmBatchMatMul.ts';

/** Pointers in bytes, n in float32 elements; see adam.wat for the arithmetic. */
export interface AdamKernel {
  sumSquares(p: number, n: number): number;
  adam(
    w: number, g: number, m: number, v: number, out: number, n: number,
    gScale: number, b1: number, b2: number, lr: number, d1: number, d2: number, eps: number, keep: number,
  ): void;
}

/** The kernel over `memory`, or null when this engine cannot validate the module. */
export function createAdamKernel(memory: WebAssembly.Memory): AdamKernel | null {
  const bytes = decodeBase64(SIMD_WASM_BASE64) as BufferSource;
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as AdamKernel;
}

let cached: { backend: BackendWasm; kernel: AdamKernel | null } | null = null;

/** The kernel over the active wasm backend's heap; null on other backends or where it cannot run. */
export function wasmAdamKernel(): { backend: BackendWasm; kernel: AdamKernel } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as BackendWasm;
  if (cached?.backend !== backend) {
    const memory = wasmBackendMemory(backend);
    cached = { backend, kernel: memory ? createAdamKernel(memory) : null };
  }
  return cached.kernel ? { backend, kernel: cached.kernel } : null;
}
