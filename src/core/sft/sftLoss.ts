/**
 * The SFT loss and its metric, as TRL computes them: next-token cross-entropy averaged over the
 * tokens that count (weight 1: completion tokens when the prompt is masked, every real token
 * otherwise; padding never), and `mean_token_accuracy`, the share of counted tokens whose most
 * likely prediction is the label. Call inside tf.tidy.
 *
 * Shapes: logits [N, V] (N = batch * positions), labels [N] int32, weights [N] float32 (0 or 1).
 */
import * as tf from '@tensorflow/tfjs';

/** sum_i w_i * -log softmax(logits_i)[label_i] / sum_i w_i  (0 when nothing counts). */
export function maskedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(logits); // [N, V]
  const picked = tf.sum(tf.mul(logp, tf.oneHot(labels, logits.shape[1]).asType('float32')), -1); // [N]
  return tf.div(tf.neg(tf.sum(tf.mul(picked, weights))), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

/** sum_i w_i * [argmax(logits_i) == label_i] / sum_i w_i  (0 when nothing counts). */
export function meanTokenAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const hit = tf.equal(tf.argMax(logits, -1), labels).asType('float32'); // [N]
  return tf.div(tf.sum(tf.mul(hit, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}
