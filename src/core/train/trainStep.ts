/**
 * One optimizer step: a loss closure, gradients for an explicit list of variables only,
 * optional global-norm clipping, Adam, then decoupled weight decay (AdamW) on weight matrices.
 * Everything inside one synchronous tf.tidy; only the loss scalar survives it.
 *
 * `makeOptimizerStep` serves every stage (pretraining, SFT, the reward model, ...): each passes
 * its own loss. `makeTrainStep` is next-token prediction on a GPT, the pretraining step.
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../model/gpt.ts';
import { applyFusedAdam } from './fusedAdam.ts';

export interface TrainStepOptions {
  max_grad_norm: number;
  weight_decay: number;
}

/** Runs the loss, updates the variables, returns the loss (the caller disposes it). */
export type OptimizerStep = (loss: () => tf.Scalar, learningRate: number) => tf.Scalar;

export type TrainStep = (inputs: Int32Array, targets: Int32Array, batchSize: number, learningRate: number) => tf.Scalar;

/**
 * Matrices decay; biases, LayerNorm gains and position/token tables are left alone, as in
 * nanoGPT's rule of "2-D weights decay" minus the embeddings, which are lookups rather than maps.
 */
export function decayedVariables(params: ReadonlyMap<string, tf.Variable>): tf.Variable[] {
  return [...params].filter(([name, v]) => v.rank === 2 && !name.includes('.wte.') && !name.includes('.wpe.')).map(([, v]) => v);
}

/** An optimizer step over `params` (by name); variables not in it (a frozen model) stay put. */
export function makeOptimizerStep(params: ReadonlyMap<string, tf.Variable>, optimizer: tf.AdamOptimizer, opts: TrainStepOptions): OptimizerStep {
  const vars = [...params.values()];
  const decayed = decayedVariables(params);
  const fusedOptions = { maxGradNorm: opts.max_grad_norm, weightDecay: opts.weight_decay, decayed: new Set(decayed) };
  return (lossFn, learningRate) => {
    // Adam reads its learningRate field at every apply, so the schedule can set it per step.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      // On wasm: clipping, Adam and decay in one kernel call per variable (fusedAdam.ts).
      if (applyFusedAdam(optimizer, vars, vars.map((v) => grads[v.name]), learningRate, fusedOptions)) return value;
      let clipped = grads;
      if (opts.max_grad_norm > 0) {
        const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(opts.max_grad_norm, tf.add(norm, 1e-6)));
        clipped = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
      }
      optimizer.applyGradients(clipped as tf.NamedTensorMap as never);
      if (opts.weight_decay > 0) {
        const keep = 1 - learningRate * opts.weight_decay;
        for (const v of decayed) v.assign(tf.mul(v, keep));
      }
      return value;
    });
  };
}

export function makeTrainStep(model: GPT, optimizer: tf.AdamOptimizer, opts: TrainStepOptions): TrainStep {
  const T = model.config.n_positions;
  const step = makeOptimizerStep(model.params, optimizer, opts);
  return (inputs, targets, batchSize, learningRate) =>
    step(() => model.loss(tf.tensor2d(inputs, [batchSize, T], 'int32'), tf.tensor2d(targets, [batchSize, T], 'int32')), learningRate);
}

/** Mean loss over held-out batches (a forward pass only). */
export async function evaluateLoss(model: GPT, batches: { inputs: Int32Array; targets: Int32Array; rows: number }[]): Promise<number> {
  const T = model.config.n_positions;
  let total = 0;
  let rows = 0;
  for (const b of batches) {
    const loss = tf.tidy(() => model.loss(tf.tensor2d(b.inputs, [b.rows, T], 'int32'), tf.tensor2d(b.targets, [b.rows, T], 'int32')));
    total += (await loss.data())[0] * b.rows;
    loss.dispose();
    rows += b.rows;
  }
  return total / Math.max(1, rows);
}
