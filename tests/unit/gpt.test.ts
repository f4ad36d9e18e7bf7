import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointFiles, modelFromCheckpoint, parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import type { ModelConfig } from '../../src/core/model/config.ts';
import { countParameters, GPT } from '../../src/core/model/gpt.ts';
import { configureOpsForBackend } from '../../src/core/model/ops.ts';
import { CharTokenizer } from '../../src/core/tokenizer/charTokenizer.ts';
import { makeTrainStep } from '../../src/core/train/trainStep.ts';
import { setupWasm } from './tfSetup.ts';

const config: ModelConfig = { vocab_size: 11, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 4 };
const ids = (B: number, T: number, seed = 1) => Int32Array.from({ length: B * T }, (_, i) => (i * 7 + seed) % 11);

beforeAll(setupWasm);

describe('GPT', () => {
  it('counts parameters like the reference model', () => {
    // The torch_reference.py transformer: vocab 64, context 64, d 64, 2 layers -> 112,192 + 2*64 LN... computed by its script.
    const D = 64, V = 64, T = 64, L = 2;
    const perLayer = 2 * D + 3 * D * D + D * D + 2 * D + D * 4 * D + 4 * D + 4 * D * D + D;
    expect(countParameters({ vocab_size: V, n_positions: T, n_embd: D, n_layer: L, n_head: 4 })).toBe(V * D + T * D + L * perLayer + 2 * D + D * V);
  });

  it('maps ids [B, T] to logits [B*T, V]', () => {
    const model = GPT.create(config, 0);
    const logits = tf.tidy(() => model.forward(tf.tensor2d(ids(3, 5), [3, 5], 'int32')));
    expect(logits.shape).toEqual([15, 11]);
    logits.dispose();
    model.dispose();
  });

  it('is causal: changing a later token leaves earlier logits unchanged', async () => {
    const model = GPT.create(config, 0);
    const a = ids(1, 8);
    const b = a.slice();
    b[6] = (b[6] + 1) % 11;
    const [la, lb] = tf.tidy(() => [model.forward(tf.tensor2d(a, [1, 8], 'int32')), model.forward(tf.tensor2d(b, [1, 8], 'int32'))]);
    const da = await la.data();
    const db = await lb.data();
    for (let i = 0; i < 6 * 11; i++) expect(db[i]).toBeCloseTo(da[i], 5);
    expect(Math.abs(db[6 * 11] - da[6 * 11]) + Math.abs(db[7 * 11] - da[7 * 11])).toBeGreaterThan(1e-6);
    tf.dispose([la, lb]);
    model.dispose();
  });

  it('starts near uniform: initial loss close to ln(V)', async () => {
    const model = GPT.create(config, 0);
    const loss = tf.tidy(() => model.loss(tf.tensor2d(ids(4, 8), [4, 8], 'int32'), tf.tensor2d(ids(4, 8, 2), [4, 8], 'int32')));
    expect((await loss.data())[0]).toBeCloseTo(Math.log(11), 1);
    loss.dispose();
    model.dispose();
  });

  it('the wasm-specific gradients equal the built-in ones, for every parameter', async () => {
    const model = GPT.create(config, 3);
    const x = tf.tensor2d(ids(3, 8), [3, 8], 'int32');
    const y = tf.tensor2d(ids(3, 8, 5), [3, 8], 'int32');
    const gradsWith = (backendRules: string) => {
      configureOpsForBackend(backendRules);
      return tf.variableGrads(() => model.loss(x, y), model.variables).grads;
    };
    const builtIn = gradsWith('cpu');
    const custom = gradsWith('wasm');
    for (const name of Object.keys(builtIn)) {
      const d1 = await builtIn[name].data();
      const d2 = await custom[name].data();
      expect(d2.length).toBe(d1.length);
      d1.forEach((v, j) => expect(d2[j]).toBeCloseTo(v, 5));
    }
    tf.dispose([x, y, ...Object.values(builtIn), ...Object.values(custom)]);
    model.dispose();
  });

  it('learns: loss falls on a repeated batch, and tensors stay flat across steps', async () => {
    const model = GPT.create(config, 0);
    const optimizer = tf.train.adam(1e-2);
    const step = makeTrainStep(model, optimizer, { max_grad_norm: 1, weight_decay: 0.01 });
    const x = ids(4, 8);
    const y = ids(4, 8, 3);
    const first = step(x, y, 4, 1e-2);
    const l0 = (await first.data())[0];
    first.dispose();
    const counts: number[] = [];
    let last = l0;
    for (let i = 0; i < 30; i++) {
      const l = step(x, y, 4, 1e-2);
      last = (await l.data())[0];
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(last).toBeLessThan(l0 * 0.5);
    expect(new Set(counts).size).toBe(1);
    const before = tf.memory().numTensors;
    optimizer.dispose();
    model.dispose();
    // model: params + mask; optimizer: 2 moments per param + 2 scalars (its beta powers).
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('leaves no tensor behind after create, train and dispose', async () => {
    const n0 = tf.memory().numTensors;
    const model = GPT.create(config, 0);
    const optimizer = tf.train.adam(1e-3);
    const step = makeTrainStep(model, optimizer, { max_grad_norm: 1, weight_decay: 0.1 });
    for (let i = 0; i < 3; i++) step(ids(2, 8), ids(2, 8, 1), 2, 1e-3).dispose();
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('same seed, same backend: identical weights after training', async () => {
    const train = async () => {
      const model = GPT.create(config, 42);
      const optimizer = tf.train.adam(1e-2);
      const step = makeTrainStep(model, optimizer, { max_grad_norm: 1, weight_decay: 0.01 });
      for (let i = 0; i < 5; i++) step(ids(2, 8, i), ids(2, 8, i + 1), 2, 1e-2).dispose();
      const w = await model.readWeights();
      optimizer.dispose();
      model.dispose();
      return w;
    };
    const a = await train();
    const b = await train();
    for (const [name, data] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(data.buffer))).toBe(true);
  });

  it('checkpoint files round-trip to the same logits', async () => {
    const tok = CharTokenizer.train('abcdefgh.');
    const c = { ...config, vocab_size: tok.vocabSize };
    const model = GPT.create(c, 5);
    const files = await checkpointFiles(model, tok, { stage: 'pretrain', step: 7, run_config: { hello: 1 } });
    const parsed = parseCheckpoint(files);
    expect(parsed.info.step).toBe(7);
    expect(parsed.modelConfig).toEqual(c);
    expect(JSON.parse(files.config).model_type).toBe('rlhf-playground-gpt');
    const copy = modelFromCheckpoint(parsed);
    const x = tf.tensor2d(Int32Array.from([1, 2, 3, 4]), [1, 4], 'int32');
    const [a, b] = tf.tidy(() => [model.forward(x), copy.forward(x)]);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    copy.dispose();
  });

  it('refuses a checkpoint whose tokenizer does not match its config', async () => {
    const tok = CharTokenizer.train('abc');
    const model = GPT.create({ ...config, vocab_size: tok.vocabSize }, 5);
    const files = await checkpointFiles(model, tok, { stage: 'pretrain', step: 0, run_config: null });
    model.dispose();
    const badConfig = JSON.stringify({ ...JSON.parse(files.config), vocab_size: 99 });
    expect(() => parseCheckpoint({ ...files, config: badConfig })).toThrow(/vocab_size/);
    expect(() => parseCheckpoint({ ...files, config: '{' })).toThrow(/config.json is not valid JSON/);
    expect(() => parseCheckpoint({ ...files, model: new ArrayBuffer(3) })).toThrow(/too short/);
  });
});
