/**
 * Replaces tfjs-backend-wasm's BatchMatMul kernel with batchMatMul.wat, a 128-bit SIMD kernel
 * working on tfjs's own heap. tfjs's kernel sends only a single untransposed product to XNNPACK;
 * batched products and products with transpose flags (attention, and every matMul gradient) ran
 * in a scalar loop, more than half of a training step. Measured on the `ref` model in Node, the
 * SIMD kernel is as fast as XNNPACK on plain products and 8-12x faster on the others, and it
 * takes transpose flags for free, so it takes every float32 product (see `npm run bench`).
 *
 * If the SIMD module cannot be built here (no wasm SIMD, or a shared-memory threaded build),
 * nothing is replaced and tfjs's kernel keeps working.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { RELAXED_SIMD_WASM_BASE64, SIMD_WASM_BASE64 } from './batchMatMulWasm.ts';

/** Pointers and strides in bytes; see batchMatMul.wat. */
export type BatchMatMulFn = (
  a: number, b: number, c: number, scratch: number,
  batch: number, m: number, k: number, n: number,
  aBatch: number, aRow: number, aCol: number,
  bBatch: number, transposeB: number,
) => void;

interface KernelArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: BackendWasm;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let installed = false;
interface SimdKernel {
  variant: KernelVariant;
  run: BatchMatMulFn;
}

let simdKernel: SimdKernel | null = null;

export function decodeBase64(text: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export type KernelVariant = 'relaxed-simd' | 'simd';

const BUILDS: Record<KernelVariant, string> = { 'relaxed-simd': RELAXED_SIMD_WASM_BASE64, simd: SIMD_WASM_BASE64 };

/** One build of the kernel over `memory`, or null when this engine cannot run that build. */
export function createBatchMatMulKernel(memory: WebAssembly.Memory, variant: KernelVariant): BatchMatMulFn | null {
  const bytes = decodeBase64(BUILDS[variant]) as BufferSource;
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports.batchMatMul as BatchMatMulFn;
}

/** tfjs-backend-wasm's heap, when a module of ours can import it (not a threaded build's shared one). */
export function wasmBackendMemory(backend: BackendWasm): WebAssembly.Memory | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: WebAssembly.Memory } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  // A threaded build's memory is shared; these modules import an unshared one.
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return null;
  return memory;
}

/**
 * Instantiates the kernel over the backend's memory: the fused (relaxed SIMD) build where the
 * engine accepts it, else the plain SIMD build; null where neither can run.
 */
function instantiate(backend: BackendWasm): SimdKernel | null {
  const memory = wasmBackendMemory(backend);
  if (!memory) return null;
  for (const variant of ['relaxed-simd', 'simd'] as const) {
    const run = createBatchMatMulKernel(memory, variant);
    if (run) return { variant, run };
  }
  return null;
}

/**
 * Registers the replacement once per process. Call after the wasm backend is ready; returns
 * which build of the kernel is in use, or null when tfjs's own kernel stays.
 */
export function installWasmBatchMatMul(): KernelVariant | null {
  if (installed) return simdKernel?.variant ?? null;
  installed = true;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const backend = tf.findBackend('wasm') as BackendWasm | null;
  if (!original || !backend) return null;
  simdKernel = instantiate(backend);
  if (!simdKernel) return null;
  const kernel = simdKernel;
  const originalFunc = original.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo;

  const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
    const { inputs: { a, b }, backend: wasm, attrs: { transposeA, transposeB } } = args;
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    // Dtypes other than float32, and batch broadcasting beyond "one of them is 1", stay with tfjs.
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (batchA !== batchB && batchA !== 1 && batchB !== 1)) {
      return originalFunc(args);
    }
    const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
    const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
    const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
    const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
    if (k !== kB) return originalFunc(args); // let tfjs report the shape error
    const batch = Math.max(batchA, batchB);
    const outShape = [
      ...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)),
      m, n,
    ];
    const out = wasm.makeOutput(outShape, 'float32');
    // Room for one packed 8-column panel of B ([K, 8]; used where B's rows are 1 KiB apart, see
    // the .wat), then, for a transposed B, B copied to [K, N] one batch item at a time. Most
    // products need neither: no allocation then.
    const packs = m >= 4 && (n * 4) % 1024 === 0;
    const scratch = packs || transposeB ? wasm.makeOutput([k * 8 + (transposeB ? k * n : 0)], 'float32') : null;
    kernel.run(
      wasm.getMemoryOffset(a.dataId), wasm.getMemoryOffset(b.dataId), wasm.getMemoryOffset(out.dataId),
      scratch ? wasm.getMemoryOffset(scratch.dataId) : 0,
      batch, m, k, n,
      batchA === 1 ? 0 : m * k * 4,
      transposeA ? 4 : k * 4, // bytes from row i to row i+1 of A
      transposeA ? m * 4 : 4, // bytes from column k to k+1 of A
      batchB === 1 ? 0 : k * n * 4,
      transposeB ? 1 : 0,
    );
    if (scratch) wasm.disposeData(scratch.dataId);
    return out;
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  return kernel.variant;
}

/** The kernel build in use on wasm, or null (not installed, or tfjs's own kernel). */
export function wasmBatchMatMulVariant(): KernelVariant | null {
  return simdKernel?.variant ?? null;
}
