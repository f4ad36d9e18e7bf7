/**
 * A PPO checkpoint: the policy as a language-model checkpoint (model/checkpoint.ts) plus its value
 * head, `value_head` [D, 1], in the same model.safetensors. A PPO run started from it resumes that
 * head instead of zeros, so its first value estimates are already trained. Every other loader
 * (sampling, SFT, a reward model's trunk) reads only the GPT's tensors and ignores the head, as
 * transformers ignores TRL's v_head when it loads the language model alone.
 */
import { checkpointFiles, type CheckpointInfo } from '../model/checkpoint.ts';
import { decodeSafetensors } from '../model/safetensors.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import { VALUE_HEAD, type PolicyWithValueHead } from './policyValue.ts';

export async function ppoCheckpointFiles(policy: PolicyWithValueHead, tokenizer: Tokenizer, info: CheckpointInfo): Promise<CheckpointFiles> {
  const D = policy.lm.config.n_embd;
  const head = { shape: [D, 1], data: (await policy.valueHead.data()) as Float32Array };
  return checkpointFiles(policy.lm, tokenizer, info, new Map([[VALUE_HEAD, head]]));
}

/**
 * The value head [D * 1] saved in a checkpoint's model.safetensors, or undefined when it has none
 * (an SFT or base model). Throws an Error when the saved head does not fit a D-wide model.
 */
export function savedValueHead(files: CheckpointFiles, D: number): Float32Array | undefined {
  const head = decodeSafetensors(files.model).tensors.get(VALUE_HEAD);
  if (!head) return undefined;
  if (head.shape.join(',') !== `${D},1`) throw new Error(`model.safetensors: ${VALUE_HEAD} has shape [${head.shape}], expected [${D}, 1]`);
  return head.data;
}
