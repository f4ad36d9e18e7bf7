/** Fetching what a benchmark script placed next to bench.html: text files and checkpoints. */
import type { CheckpointFiles } from '../core/train/pretrainConfig.ts';

export async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

/** The checkpoint in folder `url` (ending in /): model.safetensors, config.json, tokenizer.json. */
export async function fetchCheckpoint(url: string): Promise<CheckpointFiles> {
  const [model, config, tokenizer] = await Promise.all([
    fetch(`${url}model.safetensors`).then((r) => {
      if (!r.ok) throw new Error(`${url}model.safetensors: ${r.status}`);
      return r.arrayBuffer();
    }),
    fetchText(`${url}config.json`),
    fetchText(`${url}tokenizer.json`),
  ]);
  return { model, config, tokenizer };
}
