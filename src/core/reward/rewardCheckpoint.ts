/**
 * Reward-model checkpoints, stored as Hugging Face stores an AutoModelForSequenceClassification of
 * GPT-2: the trunk's tensors under their usual names plus `score.weight` [1, n_embd] (no bias),
 * and config.json with num_labels 1, id2label/label2id, pad_token_id and a "...ForSequenceClassification"
 * architecture.
 *
 * `lm_head.weight` is dropped: a sequence classifier has no language-model head (transformers
 * reports it as an unexpected key when loading), the reward never reads it, and the file is
 * smaller. A reward model therefore cannot generate text; loading one as a language model fails
 * with a message that says so.
 */
import { checkpointFiles, parseCheckpoint, type CheckpointInfo, type ParsedCheckpoint } from '../model/checkpoint.ts';
import { GPT } from '../model/gpt.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../model/safetensors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { initialScoreHead, RewardModel, SCORE_HEAD } from './rewardModel.ts';

export const REWARD_ARCHITECTURE = 'RlhfPlaygroundGPTForSequenceClassification';
const LM_HEAD = 'lm_head.weight';

export interface LoadedRewardModel {
  model: RewardModel;
  tokenizer: Tokenizer;
  info: CheckpointInfo;
  /** True when the checkpoint already was a reward model (its head was loaded, not initialised). */
  hadScoreHead: boolean;
}

/** True when the files hold a reward model (a `score.weight` head) rather than a language model. */
export function isRewardCheckpoint(files: CheckpointFiles): boolean {
  return decodeSafetensors(files.model).tensors.has(SCORE_HEAD);
}

/**
 * A reward model from a language-model checkpoint (new head, N(0, 0.02) from `seed`) or from a
 * reward checkpoint (its trained head). Throws an Error naming the file and the problem.
 */
export function loadRewardModel(files: CheckpointFiles, seed: number): LoadedRewardModel {
  const { tensors } = decodeSafetensors(files.model);
  const head = tensors.get(SCORE_HEAD);
  let parsed: ParsedCheckpoint;
  if (head && !tensors.has(LM_HEAD)) {
    // The shared parser wants a language-model head; a zero one stands in (it is never trained or read).
    const config = JSON.parse(files.config) as { vocab_size?: number; n_embd?: number };
    const V = config.vocab_size ?? 0;
    const D = config.n_embd ?? 0;
    const withHead = new Map<string, NamedTensor>(tensors);
    withHead.delete(SCORE_HEAD);
    withHead.set(LM_HEAD, { shape: [V, D], data: new Float32Array(V * D) });
    parsed = parseCheckpoint({ ...files, model: encodeSafetensors(withHead) });
  } else {
    parsed = parseCheckpoint(files);
  }
  const D = parsed.modelConfig.n_embd;
  if (head && head.shape.join(',') !== `1,${D}`) throw new Error(`model.safetensors: ${SCORE_HEAD} has shape [${head.shape}], expected [1, ${D}]`);
  const trunk = new GPT(parsed.modelConfig, parsed.weights);
  const model = new RewardModel(trunk, head ? head.data : initialScoreHead(D, seed));
  return { model, tokenizer: parsed.tokenizer, info: parsed.info, hadScoreHead: !!head };
}

/** The three files of a reward model, named and shaped as transformers expects (see above). */
export async function rewardCheckpointFiles(model: RewardModel, tokenizer: Tokenizer, info: CheckpointInfo): Promise<CheckpointFiles> {
  const lm = await checkpointFiles(model.trunk, tokenizer, info);
  const { tensors, metadata } = decodeSafetensors(lm.model);
  tensors.delete(LM_HEAD);
  tensors.set(SCORE_HEAD, { shape: [1, model.trunk.config.n_embd], data: (await model.score.data()) as Float32Array });
  const config = JSON.parse(lm.config) as Record<string, unknown>;
  const { rlhf_playground, ...rest } = config;
  const rewardConfig = {
    ...rest,
    architectures: [REWARD_ARCHITECTURE],
    num_labels: 1,
    id2label: { '0': 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    // Padding is on the right and uses the end-of-text token, as TRL does when a tokenizer has no pad token.
    pad_token_id: tokenizer.eosId,
    rlhf_playground,
  };
  return { model: encodeSafetensors(tensors, metadata), config: JSON.stringify(rewardConfig, null, 2), tokenizer: lm.tokenizer };
}
