/**
 * LayerNorm as two tfjs kernels on the wasm backend, 'RlhfLayerNorm' and 'RlhfLayerNormGrad', run
 * by layerNorm.wat on tfjs's heap: one pass each way instead of ~12 kernels forward and ~25 backward
 * (see ops.ts, which wraps them in a tf.customGrad). Installed once per process; where the module
 * cannot run, nothing is registered and ops.ts keeps tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_WASM_BASE64 } from './layerNormWasm.ts';
import { decodeBase64, wasmBackendMemory } from './wasmBatchMatMul.ts';

export const LAYER_NORM = 'RlhfLayerNorm';
export const LAYER_NORM_GRAD = 'RlhfLayerNormGrad';

/** Pointers in bytes; see layerNorm.wat. */
export interface LayerNormKernel {
  layerNorm(x: number, gain: number, bias: number, y: number, xhat: number, rstd: number, n: number, d: number, eps: number): void;
  layerNormGrad(dy: number, xhat: number, rstd: number, gain: number, dx: number, dgain: number, dbias: number, n: number, d: number): void;
}

export function createLayerNormKernel(memory: WebAssembly.Memory): LayerNormKernel | null {
  const bytes = decodeBase64(SIMD_WASM_BASE64) as BufferSource;
  if (!WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as LayerNormKernel;
}

let installed: boolean | null = null;

type Args<I extends string> = { inputs: Record<I, tf.TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> };

/** Registers both kernels on the wasm backend (call once it is ready); false where they cannot run. */
export function installWasmLayerNorm(): boolean {
  if (installed !== null) return installed;
  const backend = tf.findBackend('wasm') as BackendWasm | null;
  const memory = backend ? wasmBackendMemory(backend) : null;
  const kernel = memory ? createLayerNormKernel(memory) : null;
  installed = kernel !== null;
  if (!kernel) return false;
  const at = (wasm: BackendWasm, t: tf.TensorInfo) => wasm.getMemoryOffset(t.dataId);

  // x [N, D], gain [D], bias [D] -> y [N, D], xhat [N, D], rstd [N]
  tf.registerKernel({
    kernelName: LAYER_NORM,
    backendName: 'wasm',
    kernelFunc: (({ inputs: { x, gain, bias }, backend: wasm, attrs }: Args<'x' | 'gain' | 'bias'>) => {
      const [n, d] = x.shape;
      const y = wasm.makeOutput([n, d], 'float32');
      const xhat = wasm.makeOutput([n, d], 'float32');
      const rstd = wasm.makeOutput([n], 'float32');
      kernel.layerNorm(at(wasm, x), at(wasm, gain), at(wasm, bias), at(wasm, y), at(wasm, xhat), at(wasm, rstd), n, d, attrs.eps as number);
      return [y, xhat, rstd];
    }) as unknown as tf.KernelFunc,
  });
  // dy [N, D], xhat [N, D], rstd [N], gain [D] -> dx [N, D], dgain [D], dbias [D]
  tf.registerKernel({
    kernelName: LAYER_NORM_GRAD,
    backendName: 'wasm',
    kernelFunc: (({ inputs: { dy, xhat, rstd, gain }, backend: wasm }: Args<'dy' | 'xhat' | 'rstd' | 'gain'>) => {
      const [n, d] = dy.shape;
      const dx = wasm.makeOutput([n, d], 'float32');
      const dgain = wasm.makeOutput([d], 'float32');
      const dbias = wasm.makeOutput([d], 'float32');
      kernel.layerNormGrad(at(wasm, dy), at(wasm, xhat), at(wasm, rstd), at(wasm, gain), at(wasm, dx), at(wasm, dgain), at(wasm, dbias), n, d);
      return [dx, dgain, dbias];
    }) as unknown as tf.KernelFunc,
  });
  return true;
}

/** Whether the kernels are registered (null: not tried yet). */
export function wasmLayerNormInstalled(): boolean {
  return installed === true;
}
