import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/core/model/checkpoint.ts';
import { decodeSafetensors } from '../../src/core/model/safetensors.ts';
import { isRewardCheckpoint, loadRewardModel, REWARD_ARCHITECTURE, rewardCheckpointFiles } from '../../src/core/reward/rewardCheckpoint.ts';
import { encodeForReward, padBatch, pairBatch, splitIndices } from '../../src/core/reward/rewardData.ts';
import { scoreSequences } from '../../src/core/reward/rewardEval.ts';
import { RewardScorer } from '../../src/core/reward/rewardScorer.ts';
import { setupWasm } from './tfSetup.ts';
import { tinyLmCheckpoint } from './rewardFixtures.ts';

beforeAll(setupWasm);

async function read(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('reward model', () => {
  it('reads the reward at the last real token; right padding does not change it', async () => {
    const { model, tokenizer } = loadRewardModel(await tinyLmCheckpoint(), 3);
    const seq = tokenizer.encode('the cat was glad');
    const pad = tokenizer.eosId;
    // Alone (no padding) vs. padded by 9 tokens next to a longer row.
    const alone = padBatch([seq], pad);
    const padded = padBatch([seq, [...seq, ...tokenizer.encode(' and sad too')]], pad);
    expect(padded.T).toBe(seq.length + 12);
    expect(Array.from(padded.lastIndex)).toEqual([seq.length - 1, seq.length + 11]);
    const rAlone = await read(tf.tidy(() => model.rewards(tf.tensor2d(alone.ids, [1, alone.T], 'int32'), tf.tensor1d(alone.lastIndex, 'int32'))));
    const rPadded = await read(tf.tidy(() => model.rewards(tf.tensor2d(padded.ids, [2, padded.T], 'int32'), tf.tensor1d(padded.lastIndex, 'int32'))));
    expect(rPadded[0]).toBeCloseTo(rAlone[0], 5);
    // Padding with a different token id changes nothing either: tokens after the last real one are never seen.
    const other = padBatch([seq, [...seq, ...tokenizer.encode(' and sad too')]], 0);
    const rOther = await read(tf.tidy(() => model.rewards(tf.tensor2d(other.ids, [2, other.T], 'int32'), tf.tensor1d(other.lastIndex, 'int32'))));
    expect(rOther[0]).toBeCloseTo(rAlone[0], 5);

    // The score is the head applied to the last real token's hidden state: hidden[last] . score.
    const expected = await read(tf.tidy(() => {
      const h = model.trunk.hidden(tf.tensor2d(alone.ids, [1, alone.T], 'int32')); // [T, D]
      return tf.matMul(tf.slice(h, [seq.length - 1, 0], [1, -1]), model.score as unknown as tf.Tensor2D); // [1, 1]
    }));
    expect(rAlone[0]).toBeCloseTo(expected[0], 5);
    model.dispose();
  });

  it('encodes prompt + completion + EOS and keeps the last max_length tokens', async () => {
    const { model, tokenizer } = loadRewardModel(await tinyLmCheckpoint(), 0);
    const full = encodeForReward(tokenizer, 'Write a story.\n', 'It ended happy!', 100);
    expect(full.truncated).toBe(0);
    expect(full.ids.at(-1)).toBe(tokenizer.eosId);
    expect(tokenizer.decode(full.ids.slice(0, -1))).toBe('Write a story.\nIt ended happy!');
    const cut = encodeForReward(tokenizer, 'Write a story.\n', 'It ended happy!', 10);
    expect(cut.ids).toEqual(full.ids.slice(-10));
    expect(cut.truncated).toBe(full.ids.length - 10);
    model.dispose();
  });

  it('pair batches put chosen rows first, then rejected, padded to the longest', () => {
    const b = pairBatch([{ chosen: [1, 2, 3], rejected: [4, 5], margin: 0.5, index: 0 }, { chosen: [6, 7], rejected: [8], margin: 0, index: 1 }], 0);
    expect(b.T).toBe(3);
    expect(Array.from(b.ids)).toEqual([1, 2, 3, 6, 7, 0, 4, 5, 0, 8, 0, 0]);
    expect(Array.from(b.lastIndex)).toEqual([2, 1, 1, 0]);
    expect(Array.from(b.margins)).toEqual([0.5, 0]);
  });

  it('splits pairs reproducibly, holding out at least one', () => {
    const a = splitIndices(20, 0.1, 4);
    expect(a.eval).toHaveLength(2);
    expect([...a.train, ...a.eval].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(splitIndices(20, 0.1, 4)).toEqual(a);
    expect(splitIndices(3, 0.01, 0).eval).toHaveLength(1);
  });

  it('saves like AutoModelForSequenceClassification: score.weight [1, n_embd], no lm_head, num_labels 1', async () => {
    const lm = await tinyLmCheckpoint();
    expect(isRewardCheckpoint(lm)).toBe(false);
    const { model, tokenizer } = loadRewardModel(lm, 5);
    const files = await rewardCheckpointFiles(model, tokenizer, { stage: 'reward', step: 12, run_config: { max_length: 30 } });
    expect(isRewardCheckpoint(files)).toBe(true);
    const { tensors } = decodeSafetensors(files.model);
    expect(tensors.get('score.weight')!.shape).toEqual([1, 16]);
    expect(tensors.has('lm_head.weight')).toBe(false);
    expect(tensors.has('transformer.h.1.attn.c_attn.weight')).toBe(true);
    const config = JSON.parse(files.config);
    expect(config).toMatchObject({ architectures: [REWARD_ARCHITECTURE], num_labels: 1, id2label: { '0': 'LABEL_0' }, pad_token_id: tokenizer.eosId, n_embd: 16 });
    expect(config.rlhf_playground).toMatchObject({ stage: 'reward', step: 12 });
    // A reward checkpoint is not a language model.
    expect(() => parseCheckpoint(files)).toThrow(/lm_head/);

    // Reloaded, it scores exactly as before.
    const seqs = [tokenizer.encode('the dog was sad'), tokenizer.encode('the owl')];
    const before = await scoreSequences(model, seqs, tokenizer.eosId);
    const again = loadRewardModel(files, 99);
    expect(again.hadScoreHead).toBe(true);
    expect(again.info.step).toBe(12);
    const after = await scoreSequences(again.model, seqs, tokenizer.eosId);
    expect(Array.from(after)).toEqual(Array.from(before));
    model.dispose();
    again.model.dispose();
  });

  it('trains the head, ln_f and the top blocks; embeddings only with "all"', async () => {
    const { model } = loadRewardModel(await tinyLmCheckpoint(), 0);
    const names = (l: number | 'all') => [...model.trainableParams(l).keys()];
    expect(names(0).sort()).toEqual(['score.weight', 'transformer.ln_f.bias', 'transformer.ln_f.weight']);
    expect(names(1).some((n) => n.startsWith('transformer.h.1.'))).toBe(true);
    expect(names(1).some((n) => n.startsWith('transformer.h.0.'))).toBe(false);
    expect(names(2).some((n) => n.includes('wte'))).toBe(false);
    expect(names('all')).toContain('transformer.wte.weight');
    expect(names('all')).not.toContain('lm_head.weight');
    model.dispose();
  });

  it('scoreTexts: scores items with a reward checkpoint, refuses a language model, releases tensors', async () => {
    const lm = await tinyLmCheckpoint();
    const { model, tokenizer } = loadRewardModel(lm, 5);
    const files = await rewardCheckpointFiles(model, tokenizer, { stage: 'reward', step: 1, run_config: { max_length: 40 } });
    model.dispose();
    const n0 = tf.memory().numTensors;
    const scorer = new RewardScorer();
    const items = [{ prompt: 'Write a story.\n', completion: 'It ended happy!' }, { prompt: 'Write a story.\n', completion: 'It ended sad.' }];
    const scores = await scorer.score(files, items);
    expect(scores).toHaveLength(2);
    expect(scores.every(Number.isFinite)).toBe(true);
    expect(await scorer.score(files, items.slice(1))).toEqual([scores[1]]);
    await expect(scorer.score(lm, items)).rejects.toThrow(/not a reward model/);
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });
});
