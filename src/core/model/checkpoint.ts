/**
 * A checkpoint as three files, named and shaped as Hugging Face tools expect:
 * model.safetensors (weights), config.json (model config + the run that made it) and
 * tokenizer.json. Converting between those files and a live model lives here.
 */
import type { CheckpointFiles } from '../train/pretrainConfig.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { tokenizerFromJSON } from '../tokenizer/tokenizers.ts';
import type { ModelConfig } from './config.ts';
import { GPT, parameterShapes } from './gpt.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.ts';

export const MODEL_TYPE = 'rlhf-playground-gpt';

/**
 * The version of what config.json's "rlhf_playground" section and the tensors mean. Files without
 * it (written before it existed) are version 1. A reader refuses a newer version rather than
 * loading weights whose meaning changed.
 */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** What config.json holds beyond the model shape. */
export interface CheckpointInfo {
  /** The stage that wrote it ('pretrain', later 'sft', ...). */
  stage: string;
  /** Optimizer steps taken to reach these weights (across continued runs). */
  step: number;
  /** The run's config (e.g. a PretrainConfig). */
  run_config: unknown;
}

const LM_HEAD = 'lm_head.weight';

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * The three files of a language model. `extraTensors` are stored after the model's own (a PPO
 * policy's value head): parseCheckpoint reads only the GPT's names, so every loader ignores them.
 */
export async function checkpointFiles(model: GPT, tokenizer: Tokenizer, info: CheckpointInfo, extraTensors: ReadonlyMap<string, NamedTensor> = new Map()): Promise<CheckpointFiles> {
  const c = model.config;
  const shapes = parameterShapes(c);
  const weights = await model.readWeights();
  const tensors = new Map<string, NamedTensor>();
  for (const [name, data] of weights) {
    // lm_head is [D, V] inside; Hugging Face's Linear stores [out, in] = [V, D].
    if (name === LM_HEAD) tensors.set(name, { shape: [c.vocab_size, c.n_embd], data: transpose2d(data, c.n_embd, c.vocab_size) });
    else tensors.set(name, { shape: shapes[name], data });
  }
  for (const [name, t] of extraTensors) tensors.set(name, t);
  const config = {
    model_type: MODEL_TYPE,
    architectures: ['RlhfPlaygroundGPT'],
    ...c,
    n_inner: 4 * c.n_embd,
    activation_function: 'quick_gelu',
    attention_bias: false,
    tie_word_embeddings: false,
    layer_norm_epsilon: 1e-5,
    eos_token_id: tokenizer.eosId,
    bos_token_id: tokenizer.eosId,
    torch_dtype: 'float32',
    rlhf_playground: { format_version: CHECKPOINT_FORMAT_VERSION, ...info },
  };
  return {
    model: encodeSafetensors(tensors, { format: 'pt' }),
    config: JSON.stringify(config, null, 2),
    tokenizer: JSON.stringify(tokenizer.toJSON()),
  };
}

export interface ParsedCheckpoint {
  modelConfig: ModelConfig;
  weights: Map<string, Float32Array>;
  tokenizer: Tokenizer;
  info: CheckpointInfo;
}

/** Refuses config.json of another kind of model, or of a newer playground. */
function checkFormat(config: Record<string, unknown>): void {
  if (config.model_type !== undefined && config.model_type !== MODEL_TYPE) {
    throw new Error(`config.json describes a model of type "${String(config.model_type).slice(0, 60)}"; the playground reads its own checkpoints (model_type "${MODEL_TYPE}")`);
  }
  const section = config.rlhf_playground;
  if (section === undefined) return;
  if (!section || typeof section !== 'object' || Array.isArray(section)) throw new Error('config.json: "rlhf_playground" must be an object');
  const version = (section as Record<string, unknown>).format_version ?? 1;
  if (!Number.isInteger(version) || (version as number) < 1) throw new Error('config.json: rlhf_playground.format_version must be a whole number from 1');
  if ((version as number) > CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`these files were written by a newer version of the playground (checkpoint format ${version}); this version reads format ${CHECKPOINT_FORMAT_VERSION} and older`);
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object') return v;
  } catch {
    /* reported below */
  }
  throw new Error(`${file} is not valid JSON`);
}

/**
 * Validates and decodes the three files; throws an Error naming the file and the problem. Tensors
 * other than the GPT's (a PPO policy's value head) are ignored.
 */
export function parseCheckpoint(files: CheckpointFiles): ParsedCheckpoint {
  const config = parseJson(files.config, 'config.json');
  checkFormat(config);
  const fields = ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const;
  for (const f of fields) {
    if (!Number.isInteger(config[f]) || (config[f] as number) <= 0) throw new Error(`config.json: ${f} must be a positive whole number`);
  }
  const modelConfig = Object.fromEntries(fields.map((f) => [f, config[f] as number])) as unknown as ModelConfig;
  if (modelConfig.n_embd % modelConfig.n_head !== 0) throw new Error('config.json: n_embd must be a multiple of n_head');
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(parseJson(files.tokenizer, 'tokenizer.json'));
  } catch (e) {
    throw new Error(`tokenizer.json: ${(e as Error).message}`);
  }
  if (tokenizer.vocabSize !== modelConfig.vocab_size) {
    throw new Error(`tokenizer.json has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${modelConfig.vocab_size}`);
  }
  const { tensors } = decodeSafetensors(files.model);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(parameterShapes(modelConfig))) {
    const t = tensors.get(name);
    if (!t) throw new Error(`model.safetensors is missing tensor ${name}`);
    const expected = name === LM_HEAD ? [modelConfig.vocab_size, modelConfig.n_embd] : shape;
    if (t.shape.join(',') !== expected.join(',')) throw new Error(`model.safetensors: ${name} has shape [${t.shape}], expected [${expected}]`);
    weights.set(name, name === LM_HEAD ? transpose2d(t.data, modelConfig.vocab_size, modelConfig.n_embd) : t.data);
  }
  const rp = (config.rlhf_playground ?? {}) as Partial<CheckpointInfo>;
  const info: CheckpointInfo = { stage: rp.stage ?? 'imported', step: Number.isInteger(rp.step) ? (rp.step as number) : 0, run_config: rp.run_config ?? null };
  return { modelConfig, weights, tokenizer, info };
}

export function modelFromCheckpoint(parsed: ParsedCheckpoint): GPT {
  return new GPT(parsed.modelConfig, parsed.weights);
}
