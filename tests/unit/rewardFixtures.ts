/** Tiny language-model checkpoints and preference pairs for the reward-model tests. */
import { checkpointFiles } from '../../src/core/model/checkpoint.ts';
import { GPT } from '../../src/core/model/gpt.ts';
import type { PreferencePair } from '../../src/core/preferences/types.ts';
import { Rng } from '../../src/core/rng.ts';
import { trainTokenizer } from '../../src/core/tokenizer/tokenizers.ts';
import type { CheckpointFiles } from '../../src/core/train/pretrainConfig.ts';

const ANIMALS = ['cat', 'dog', 'fox', 'owl'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz TWI.!\n';

/** A random-weight character-level GPT saved as a language-model checkpoint. */
export async function tinyLmCheckpoint(seed = 1, nPositions = 40): Promise<CheckpointFiles> {
  const tokenizer = trainTokenizer({ kind: 'char', vocabSize: 0 }, ALPHABET);
  const model = GPT.create({ vocab_size: tokenizer.vocabSize, n_positions: nPositions, n_embd: 16, n_layer: 2, n_head: 2 }, seed);
  try {
    return await checkpointFiles(model, tokenizer, { stage: 'pretrain', step: 7, run_config: null });
  } finally {
    model.dispose();
  }
}

/** Distinct pairs (at most 64) where the happy ending is chosen, the sad one rejected (the happy-ending preference). */
export function happyPairs(n: number, seed = 0): PreferencePair[] {
  const combos: PreferencePair[] = [];
  for (const a of ANIMALS) for (const b of ANIMALS) for (const happy of ['happy', 'glad']) for (const sad of ['sad', 'bad']) {
    combos.push({ prompt: `Write a story about the ${a} and the ${b}.\n`, chosen: `The ${a} was ${happy}!`, rejected: `The ${b} was ${sad}.` });
  }
  const rng = new Rng(seed);
  for (let i = combos.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [combos[i], combos[j]] = [combos[j], combos[i]];
  }
  if (n > combos.length) throw new Error(`happyPairs: at most ${combos.length} distinct pairs`);
  return combos.slice(0, n);
}
