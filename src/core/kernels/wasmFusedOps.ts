/**
 * The causal attention softmax, quick GELU and softmax cross-entropy as tfjs kernels on the wasm
 * backend, each one pass of fusedOps.wat forward and one backward, where tfjs ops take 3-15
 * kernels each way (ops.ts wraps them in tf.customGrad); and the gradient of an embedding lookup,
 * which tfjs-wasm lacks (no UnsortedSegmentSum), with a lookup faster than its GatherV2. Installed once per process; where the
 * module cannot run, nothing is registered and ops.ts keeps tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_WASM_BASE64 } from './fusedOpsWasm.ts';
import { decodeBase64, wasmBackendMemory } from './wasmBatchMatMul.ts';

export const CAUSAL_SOFTMAX = 'RlhfCausalSoftmax';
export const CAUSAL_SOFTMAX_GRAD = 'RlhfCausalSoftmaxGrad';
export const QUICK_GELU = 'RlhfQuickGelu';
export const QUICK_GELU_GRAD = 'RlhfQuickGeluGrad';
export const CROSS_ENTROPY = 'RlhfCrossEntropy';
export const CROSS_ENTROPY_GRAD = 'RlhfCrossEntropyGrad';
export const ADD_BIAS = 'RlhfAddBias';
export const COLUMN_SUM = 'RlhfColumnSum';
export const HEADS_SPLIT = 'RlhfHeadsSplit';
export const HEADS_MERGE = 'RlhfHeadsMerge';
export const EMBEDDING = 'RlhfEmbedding';
export const EMBEDDING_GRAD = 'RlhfEmbeddingGrad';

/** Pointers in bytes; see fusedOps.wat. */
export interface FusedOpsKernel {
  causalSoftmax(s: number, p: number, rows: number, t: number, scale: number): void;
  causalSoftmaxGrad(p: number, dp: number, ds: number, rows: number, t: number, scale: number): void;
  quickGelu(x: number, y: number, sig: number, n: number): void;
  quickGeluGrad(x: number, sig: number, dy: number, dx: number, n: number): void;
  rowMaxSumExp(x: number, out: number, n: number, v: number): void;
  crossEntropyGrad(x: number, lse: number, targets: number, dx: number, n: number, v: number, g: number): void;
  embeddingLookup(table: number, ids: number, out: number, n: number, v: number, d: number): void;
  embeddingGrad(dy: number, ids: number, dTable: number, n: number, v: number, d: number): void;
  addBias(x: number, bias: number, y: number, n: number, k: number): void;
  columnSum(x: number, out: number, n: number, k: number): void;
  headsCopy(rows: number, heads: number, b: number, t: number, h: number, dh: number, width: number, offset: number, toHeads: number): void;
}

export function createFusedOpsKernel(memory: WebAssembly.Memory): FusedOpsKernel | null {
  const bytes = decodeBase64(SIMD_WASM_BASE64) as BufferSource;
  if (!WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as FusedOpsKernel;
}

let installed: boolean | null = null;

/**
 * Gradients of the head moves and the bias add, registered with tfjs's tape (the split has several
 * outputs, which tf.customGrad cannot express, and a registered gradient costs no wrapper op).
 */
function registerGradients(): void {
  tf.registerGradient({
    kernelName: ADD_BIAS,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const d = dy as tf.Tensor;
      // x's gradient is dy itself, as a new tensor sharing its buffer (tfjs disposes dy later).
      return { x: () => tf.reshape(d, d.shape), bias: () => tf.engine().runKernel(COLUMN_SUM, { x: d }, {}) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: HEADS_SPLIT,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const parts = dy as tf.Tensor[];
      return { x: () => tf.engine().runKernel(HEADS_MERGE, Object.fromEntries(parts.map((t, i) => [String(i), t])), {}) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: HEADS_MERGE,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const d = dy as tf.Tensor;
      const n = attrs.parts as number;
      const outs = tf.engine().runKernel(HEADS_SPLIT, { x: d }, { batch: attrs.batch, heads: attrs.heads, parts: n }) as tf.Tensor[];
      return Object.fromEntries(outs.map((t, i) => [String(i), () => t]));
    },
  });
}

type Args<I extends string> = { inputs: Record<I, tf.TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> };

function register<I extends string>(kernelName: string, f: (args: Args<I>) => tf.TensorInfo | tf.TensorInfo[]): void {
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: f as unknown as tf.KernelFunc });
}

/** Registers the kernels on the wasm backend (call once it is ready); false where they cannot run. */
export function installWasmFusedOps(): boolean {
  if (installed !== null) return installed;
  const backend = tf.findBackend('wasm') as BackendWasm | null;
  const memory = backend ? wasmBackendMemory(backend) : null;
  const kernel = memory ? createFusedOpsKernel(memory) : null;
  installed = kernel !== null;
  if (!kernel || !memory) return false;
  registerGradients();
  const at = (wasm: BackendWasm, t: tf.TensorInfo) => wasm.getMemoryOffset(t.dataId);
  const size = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape);

  // scores [..., T, T] -> p [..., T, T]
  register<'scores'>(CAUSAL_SOFTMAX, ({ inputs: { scores }, backend: wasm, attrs }) => {
    const t = scores.shape[scores.shape.length - 1];
    const p = wasm.makeOutput(scores.shape, 'float32');
    kernel.causalSoftmax(at(wasm, scores), at(wasm, p), size(scores) / t, t, attrs.scale as number);
    return p;
  });
  // p, dp [..., T, T] -> d(scores) [..., T, T]
  register<'p' | 'dp'>(CAUSAL_SOFTMAX_GRAD, ({ inputs: { p, dp }, backend: wasm, attrs }) => {
    const t = p.shape[p.shape.length - 1];
    const ds = wasm.makeOutput(p.shape, 'float32');
    kernel.causalSoftmaxGrad(at(wasm, p), at(wasm, dp), at(wasm, ds), size(p) / t, t, attrs.scale as number);
    return ds;
  });
  // x -> y, sigmoid(1.702 x) (kept for the gradient), both x's shape
  register<'x'>(QUICK_GELU, ({ inputs: { x }, backend: wasm }) => {
    const y = wasm.makeOutput(x.shape, 'float32');
    const sig = wasm.makeOutput(x.shape, 'float32');
    kernel.quickGelu(at(wasm, x), at(wasm, y), at(wasm, sig), size(x));
    return [y, sig];
  });
  register<'x' | 'sig' | 'dy'>(QUICK_GELU_GRAD, ({ inputs: { x, sig, dy }, backend: wasm }) => {
    const dx = wasm.makeOutput(x.shape, 'float32');
    kernel.quickGeluGrad(at(wasm, x), at(wasm, sig), at(wasm, dy), at(wasm, dx), size(x));
    return dx;
  });
  // logits [N, V] float32, targets [N] int32 -> loss [] (mean over rows), lse [N] (for the gradient)
  register<'logits' | 'targets'>(CROSS_ENTROPY, ({ inputs: { logits, targets }, backend: wasm }) => {
    const [n, v] = logits.shape;
    const stats = wasm.makeOutput([2 * n], 'float32');
    kernel.rowMaxSumExp(at(wasm, logits), at(wasm, stats), n, v);
    const loss = wasm.makeOutput([], 'float32');
    const lse = wasm.makeOutput([n], 'float32');
    // Views made after the kernel ran and the outputs were allocated: the heap may have grown.
    const heap = memory.buffer;
    const x = new Float32Array(heap, at(wasm, logits), n * v);
    const t = new Int32Array(heap, at(wasm, targets), n);
    const st = new Float32Array(heap, at(wasm, stats), 2 * n);
    const lseOut = new Float32Array(heap, at(wasm, lse), n);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const l = st[2 * r] + Math.log(st[2 * r + 1]); // logsumexp of the row
      lseOut[r] = l;
      total += l - (t[r] >= 0 && t[r] < v ? x[r * v + t[r]] : 0);
    }
    new Float32Array(heap, at(wasm, loss), 1)[0] = total / n;
    wasm.disposeData(stats.dataId);
    return [loss, lse];
  });
  // logits [N, V], lse [N], targets [N], dy [] -> d(logits) [N, V]
  register<'logits' | 'lse' | 'targets' | 'dy'>(CROSS_ENTROPY_GRAD, ({ inputs: { logits, lse, targets, dy }, backend: wasm }) => {
    const [n, v] = logits.shape;
    const dx = wasm.makeOutput([n, v], 'float32');
    const g = new Float32Array(memory.buffer, at(wasm, dy), 1)[0] / n;
    kernel.crossEntropyGrad(at(wasm, logits), at(wasm, lse), at(wasm, targets), at(wasm, dx), n, v, g);
    return dx;
  });
  // x [N, K] + bias [K] -> [N, K]
  register<'x' | 'bias'>(ADD_BIAS, ({ inputs: { x, bias }, backend: wasm }) => {
    const [n, k] = x.shape;
    const y = wasm.makeOutput([n, k], 'float32');
    kernel.addBias(at(wasm, x), at(wasm, bias), at(wasm, y), n, k);
    return y;
  });
  // x [N, K] -> column sums [K]
  register<'x'>(COLUMN_SUM, ({ inputs: { x }, backend: wasm }) => {
    const [n, k] = x.shape;
    const out = wasm.makeOutput([k], 'float32');
    kernel.columnSum(at(wasm, x), at(wasm, out), n, k);
    return out;
  });
  // x [B*T, n*H*dh] -> n tensors [B, H, T, dh] (attrs: batch, heads); its gradient is the merge.
  register<'x'>(HEADS_SPLIT, ({ inputs: { x }, backend: wasm, attrs }) => {
    const b = attrs.batch as number;
    const h = attrs.heads as number;
    const parts = attrs.parts as number;
    const [bt, width] = x.shape;
    const t = bt / b;
    const dh = width / parts / h;
    return Array.from({ length: parts }, (_, c) => {
      const out = wasm.makeOutput([b, h, t, dh], 'float32');
      kernel.headsCopy(at(wasm, x), at(wasm, out), b, t, h, dh, width, c * h * dh, 1);
      return out;
    });
  });
  // n tensors [B, H, T, dh] (inputs named 0, 1, ...) -> [B*T, n*H*dh]; its gradient is the split.
  register<string>(HEADS_MERGE, ({ inputs, backend: wasm }) => {
    const parts = Object.keys(inputs).length;
    const [b, h, t, dh] = inputs[0].shape;
    const width = parts * h * dh;
    const out = wasm.makeOutput([b * t, width], 'float32');
    for (let c = 0; c < parts; c++) kernel.headsCopy(at(wasm, out), at(wasm, inputs[c]), b, t, h, dh, width, c * h * dh, 0);
    return out;
  });
  // table [V, D], ids [N] int32 -> rows [N, D]
  register<'table' | 'ids'>(EMBEDDING, ({ inputs: { table, ids }, backend: wasm }) => {
    const [v, d] = table.shape;
    const n = size(ids);
    const out = wasm.makeOutput([n, d], 'float32');
    kernel.embeddingLookup(at(wasm, table), at(wasm, ids), at(wasm, out), n, v, d);
    return out;
  });
  // dy [N, D], ids [N] int32, attrs.vocab -> d(table) [vocab, D]
  register<'dy' | 'ids'>(EMBEDDING_GRAD, ({ inputs: { dy, ids }, backend: wasm, attrs }) => {
    const [n, d] = dy.shape;
    const vocab = attrs.vocab as number;
    const dTable = wasm.makeOutput([vocab, d], 'float32');
    kernel.embeddingGrad(at(wasm, dy), at(wasm, ids), at(wasm, dTable), n, vocab, d);
    return dTable;
  });
  return true;
}

/** Whether the kernels are registered. */
export function wasmFusedOpsInstalled(): boolean {
  return installed === true;
}
