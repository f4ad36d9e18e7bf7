/**
 * Reading a checkpoint (model.safetensors + config.json + tokenizer.json) on the main thread.
 * Only cheap checks happen here (names, sizes, JSON, the safetensors header); the worker parses
 * the weights fully when the checkpoint is used.
 */
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';

const MAX_MODEL_BYTES = 200 * 1000 * 1000;
const SHAPE_KEYS = ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const;

export interface CheckpointInfo {
  files: CheckpointFiles;
  /** Training step the checkpoint had reached, when config.json records it. */
  step?: number;
  /** n_layer, n_embd, ... from config.json. */
  shape: Record<(typeof SHAPE_KEYS)[number], number>;
}

function parseJson(name: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON.`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${name} must hold a JSON object.`);
  return value as Record<string, unknown>;
}

function checkSafetensors(model: ArrayBuffer): void {
  if (model.byteLength < 10) throw new Error('model.safetensors is too small to be a safetensors file.');
  if (model.byteLength > MAX_MODEL_BYTES) throw new Error('model.safetensors is larger than 200 MB; this playground trains small models only.');
  const headerLength = Number(new DataView(model).getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > model.byteLength) throw new Error('model.safetensors has a broken header (its length does not fit the file).');
  const header = new TextDecoder().decode(new Uint8Array(model, 8, headerLength));
  parseJson('The header of model.safetensors', header);
}

/** Checks the three files and returns what the UI shows about them; throws Error with a message. */
export function inspectCheckpoint(files: CheckpointFiles): CheckpointInfo {
  checkSafetensors(files.model);
  const config = parseJson('config.json', files.config);
  const shape = {} as CheckpointInfo['shape'];
  for (const key of SHAPE_KEYS) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`config.json has no valid "${key}".`);
    shape[key] = v;
  }
  const tokenizer = parseJson('tokenizer.json', files.tokenizer);
  if (!tokenizer.model || typeof tokenizer.model !== 'object') throw new Error('tokenizer.json has no "model" section.');
  const extra = config.rlhf_playground as { step?: unknown } | undefined;
  const step = typeof extra?.step === 'number' ? extra.step : undefined;
  return { files, step, shape };
}

/** Picks model.safetensors, config.json and tokenizer.json out of the files a user chose. */
export async function readCheckpointUpload(chosen: File[]): Promise<CheckpointInfo> {
  const model = chosen.find((f) => f.name.endsWith('.safetensors'));
  const tokenizer = chosen.find((f) => f.name.endsWith('.json') && f.name.includes('tokenizer'));
  const config = chosen.find((f) => f.name.endsWith('.json') && f !== tokenizer);
  const missing = [!model && 'model.safetensors', !config && 'config.json', !tokenizer && 'tokenizer.json'].filter(Boolean);
  if (missing.length > 0) throw new Error(`Missing ${missing.join(' and ')}: choose all three files together.`);
  return inspectCheckpoint({
    model: await model!.arrayBuffer(),
    config: await config!.text(),
    tokenizer: await tokenizer!.text(),
  });
}

async function fetchBaseFile(name: string): Promise<Response> {
  const response = await fetch(`${import.meta.env.BASE_URL}base/${name}`);
  // A dev or preview server may answer a missing file with index.html and status 200.
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || type.includes('text/html')) {
    throw new Error(`The base checkpoint is not part of this build (${name} was not found in public/base/).`);
  }
  return response;
}

/** Fetches the shipped base checkpoint from public/base/. */
export async function fetchBaseCheckpoint(): Promise<CheckpointInfo> {
  const [model, config, tokenizer] = await Promise.all(['model.safetensors', 'config.json', 'tokenizer.json'].map(fetchBaseFile));
  return inspectCheckpoint({ model: await model.arrayBuffer(), config: await config.text(), tokenizer: await tokenizer.text() });
}

/** Whether the base checkpoint is there, without downloading the weights: null, or why not. */
export async function probeBaseCheckpoint(): Promise<string | null> {
  try {
    parseJson('config.json of the base checkpoint', await (await fetchBaseFile('config.json')).text());
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
