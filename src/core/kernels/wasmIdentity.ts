/**
 * tfjs-backend-wasm's Identity kernel copies its input into a new buffer. tfjs runs Identity for
 * every tensor a kernel saves for its gradient (engine.clone), ~80 a training step of the `ref`
 * model, so the copies cost ~4 ms a step (a profile in Node: 7% of all time). Tensors are
 * immutable and the wasm backend already shares buffers between a tensor and its reshapes
 * (reference-counted), as the cpu backend does for Identity: this replacement shares too.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let installed = false;

/** Replaces Identity on the wasm backend once per process (call when the backend is ready). */
export function installWasmSharedIdentity(): void {
  if (installed) return;
  const original = tf.getKernel('Identity', 'wasm');
  if (!original) return;
  installed = true;
  const originalFunc = original.kernelFunc as unknown as (args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }) => tf.TensorInfo;
  const kernelFunc = (args: { inputs: { x: tf.TensorInfo }; backend: BackendWasm }): tf.TensorInfo => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return originalFunc(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}
