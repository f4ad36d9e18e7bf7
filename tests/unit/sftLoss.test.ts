import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskedCrossEntropy, meanTokenAccuracy } from '../../src/core/sft/sftLoss.ts';
import { EpochSampler, makeBatch, splitExamples, tokenizeRows } from '../../src/core/sft/sftData.ts';
import { Rng } from '../../src/core/rng.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { setupWasm } from './tfSetup.ts';

beforeAll(setupWasm);

const run = (f: () => tf.Scalar) => tf.tidy(f).dataSync()[0];

describe('SFT loss and token accuracy (hand-derived)', () => {
  /*
   * Three positions, vocabulary 2:
   *   row 0: logits [0, 0]       -> p = [1/2, 1/2];  label 0: -log p = ln 2;  argmax 0 (first of a tie) = label: hit
   *   row 1: logits [ln 3, 0]    -> p = [3/4, 1/4];  label 1: -log p = ln 4;  argmax 0 != 1: miss
   *   row 2: logits [0, 5]       -> label 1, hit, but weight 0 (a prompt or padding token): not counted
   * Weighted: loss = (ln 2 + ln 4) / 2 = 1.5 ln 2 = 1.03972;  accuracy = (1 + 0) / 2 = 0.5.
   * All counted (weights 1, 1, 1): loss = (ln 2 + ln 4 + ln(1 + e^-5)) / 3 = (2.07944 + 0.00672) / 3 = 0.69539; accuracy 2/3.
   */
  const logits = () => tf.tensor2d([[0, 0], [Math.log(3), 0], [0, 5]]);
  const labels = () => tf.tensor1d([0, 1, 1], 'int32');

  it('averages cross-entropy over the counted tokens only', () => {
    expect(run(() => maskedCrossEntropy(logits(), labels(), tf.tensor1d([1, 1, 0])))).toBeCloseTo(1.5 * Math.log(2), 5);
    expect(run(() => maskedCrossEntropy(logits(), labels(), tf.tensor1d([1, 1, 1])))).toBeCloseTo((3 * Math.log(2) + Math.log(1 + Math.exp(-5))) / 3, 5);
    expect(run(() => maskedCrossEntropy(logits(), labels(), tf.tensor1d([0, 0, 0])))).toBeCloseTo(0, 9);
  });

  it('mean_token_accuracy: argmax == label over the counted tokens', () => {
    expect(run(() => meanTokenAccuracy(logits(), labels(), tf.tensor1d([1, 1, 0])))).toBeCloseTo(0.5, 6);
    expect(run(() => meanTokenAccuracy(logits(), labels(), tf.tensor1d([1, 1, 1])))).toBeCloseTo(2 / 3, 6);
  });

  it('a masked token gets no gradient', () => {
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => maskedCrossEntropy(x as tf.Tensor2D, labels(), tf.tensor1d([1, 0, 0])))(logits()).arraySync() as number[][]);
    // Row 0 counted alone: d/dlogits = softmax - onehot = [1/2 - 1, 1/2] = [-0.5, 0.5]; rows 1 and 2: 0.
    expect(g[0][0]).toBeCloseTo(-0.5, 6);
    expect(g[0][1]).toBeCloseTo(0.5, 6);
    for (const v of [...g[1], ...g[2]]) expect(Math.abs(v)).toBe(0);
  });
});

describe('SFT batches', () => {
  it('shift, right-pad and mask: prompt tokens count only without completion_only_loss', () => {
    // ids = prompt [5, 6] + completion [7, 8] + eos 0; width T = 5 leaves one padding position.
    const ex = { ids: [5, 6, 7, 8, 0], promptLength: 2 };
    const masked = makeBatch([ex], 5, 0, true);
    expect([...masked.inputs]).toEqual([5, 6, 7, 8, 0]);
    expect([...masked.labels]).toEqual([6, 7, 8, 0, 0]);
    // Label j is ids[j+1]: 6 is the prompt's own token (masked); 7, 8 and eos are the completion.
    expect([...masked.weights]).toEqual([0, 1, 1, 1, 0]);
    expect(masked.numTokens).toBe(5);
    expect([...makeBatch([ex], 5, 0, false).weights]).toEqual([1, 1, 1, 1, 0]);
  });

  it('tokenizes prompt and completion apart, appends end-of-text and cuts at max_length', () => {
    const tok = CharTokenizer.train('abcdxyz');
    const { examples, truncated } = tokenizeRows(tok, [{ prompt: 'ab', completion: 'cd' }, { prompt: 'xyz', completion: 'abcd' }], 6);
    expect(examples[0]).toEqual({ ids: [...tok.encode('abcd'), tok.eosId], promptLength: 2 });
    expect(examples[1].ids).toEqual(tok.encode('xyzabc'));
    expect(truncated).toBe(1);
  });

  it('holds out a seeded split and samples every training row once per epoch', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const { train, eval: held } = splitExamples(items, 0.2, new Rng(1));
    expect(held).toHaveLength(2);
    expect([...train, ...held].sort((a, b) => a - b)).toEqual(items);
    expect(splitExamples(items, 0.2, new Rng(1))).toEqual({ train, eval: held });
    expect(splitExamples(items, 0, new Rng(1)).eval).toEqual([]);
    const sampler = new EpochSampler(train, new Rng(2));
    expect(sampler.take(8).sort()).toEqual([...train].sort());
  });
});
