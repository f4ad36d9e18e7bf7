/**
 * `rlhf label`: samples 2-4 completions per prompt from a checkpoint, labels each comparison with
 * the simulated annotator (the programmatic gold, plus optional noise and length bias), and
 * writes the preference pairs as TRL JSONL (prompt, chosen, rejected[, margin]).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { INSTRUCTION_KINDS, instructionPrompts, type InstructionKind } from '../core/data/instructions.ts';
import type { EngineApi } from '../core/engine/engineApi.ts';
import { validateComparisonSpec, type ComparisonRequest } from '../core/preferences/comparisons.ts';
import { toTrlJsonl } from '../core/preferences/exportFormats.ts';
import { HAPPY_ENDING_SPEC, type GoldWeights } from '../core/preferences/goldScore.ts';
import { toPairs } from '../core/preferences/ranking.ts';
import { DEFAULT_ANNOTATOR, simulatedAnnotatorName, simulateJudgement, validateAnnotatorSpec, type AnnotatorNoise, type AnnotatorSpec } from '../core/preferences/simulatedAnnotator.ts';
import { Rng } from '../core/rng.ts';
import { DEFAULT_SAMPLING } from '../core/train/defaults.ts';
import { ConfigError } from '../core/train/validate.ts';
import { parseFlags, UsageError } from './args.ts';
import { BASE_CHECKPOINT_DIR, readCheckpointFlag } from './checkpointDir.ts';
import { backendFlag, startBackend } from './nodeEngine.ts';

export const LABEL_HELP = `rlhf label [--from DIR] [--prompts N] [--completions K] [--seed S] [--noise none|bt:T|flip:P] [--out FILE.jsonl]
  --from          checkpoint folder to sample from (default public/base, the shipped base model)
  --prompts       number of prompts (default 50)          --completions  completions per prompt, 2-4 (default 2)
  --prompt-kind   ${INSTRUCTION_KINDS.join('|')} (default topic: the prompt does not dictate the mood)
  --temperature, --top-k, --top-p, --max-new-tokens   sampling (defaults ${DEFAULT_SAMPLING.temperature}, ${DEFAULT_SAMPLING.top_k}, ${DEFAULT_SAMPLING.top_p}, ${DEFAULT_SAMPLING.max_new_tokens})
  --gold          feature weights, e.g. happy_ending=1,on_topic=0.5,length=0 (default: the happy-ending preference)
  --target-words  the length feature's best length (default ${HAPPY_ENDING_SPEC.target_words})
  --noise         none, bt:T (Bradley-Terry temperature T) or flip:P (flip rate P)   (default none)
  --prefer-longer score added per 10 words (a length bias; default 0)
  --margin        write each pair's score difference as TRL's margin column
  --out           output file (default runs/labels.jsonl)`;

export function parseNoise(text: string): AnnotatorNoise {
  if (text === 'none') return { kind: 'bradley_terry', temperature: 0 };
  const m = /^(bt|flip):(.+)$/.exec(text);
  const value = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(value)) throw new UsageError(`--noise must be none, bt:T or flip:P (got '${text}')`);
  return m[1] === 'bt' ? { kind: 'bradley_terry', temperature: value } : { kind: 'flip', rate: value };
}

export function parseWeights(text: string): GoldWeights {
  const weights = { ...HAPPY_ENDING_SPEC.weights };
  for (const part of text.split(',')) {
    const [key, raw] = part.split('=');
    if (!(key in weights)) throw new UsageError(`--gold: unknown feature '${key}' (known: ${Object.keys(weights).join(', ')})`);
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value)) throw new UsageError(`--gold: ${key} needs a number (got '${raw ?? ''}')`);
    weights[key as keyof GoldWeights] = value;
  }
  return weights;
}

export async function labelCommand(engine: EngineApi, argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    from: 'string', prompts: 'number', completions: 'number', seed: 'number', noise: 'string', out: 'string',
    'prompt-kind': 'string', temperature: 'number', 'top-k': 'number', 'top-p': 'number', 'max-new-tokens': 'number',
    gold: 'string', 'target-words': 'number', 'prefer-longer': 'number', margin: 'boolean', backend: 'string', quiet: 'boolean',
  });
  const count = Number(flags.prompts ?? 50);
  if (!Number.isInteger(count) || count < 1) throw new ConfigError([{ field: 'prompts', message: 'must be a whole number of at least 1' }]);
  const kind = String(flags['prompt-kind'] ?? 'topic') as InstructionKind;
  if (!INSTRUCTION_KINDS.includes(kind)) throw new UsageError(`--prompt-kind must be one of ${INSTRUCTION_KINDS.join(', ')} (got '${kind}')`);
  const seed = Number(flags.seed ?? 0);
  const annotator: AnnotatorSpec = {
    ...DEFAULT_ANNOTATOR,
    gold: {
      ...HAPPY_ENDING_SPEC,
      weights: flags.gold ? parseWeights(String(flags.gold)) : HAPPY_ENDING_SPEC.weights,
      target_words: Number(flags['target-words'] ?? HAPPY_ENDING_SPEC.target_words),
    },
    noise: parseNoise(String(flags.noise ?? 'none')),
    prefer_longer: Number(flags['prefer-longer'] ?? 0),
    record_margin: flags.margin === true,
    seed,
  };
  const annotatorErrors = validateAnnotatorSpec(annotator);
  if (annotatorErrors.length) throw new ConfigError(annotatorErrors);
  const request: ComparisonRequest = {
    from: readCheckpointFlag('from', String(flags.from ?? BASE_CHECKPOINT_DIR)),
    prompts: instructionPrompts(count, seed, kind),
    completions: Number(flags.completions ?? 2),
    sampling: {
      temperature: Number(flags.temperature ?? DEFAULT_SAMPLING.temperature),
      top_k: Number(flags['top-k'] ?? DEFAULT_SAMPLING.top_k),
      top_p: Number(flags['top-p'] ?? DEFAULT_SAMPLING.top_p),
      max_new_tokens: Number(flags['max-new-tokens'] ?? DEFAULT_SAMPLING.max_new_tokens),
    },
    seed,
  };
  const requestErrors = validateComparisonSpec(request);
  if (requestErrors.length) throw new ConfigError(requestErrors);
  const log = (s: string) => flags.quiet || console.log(s);
  await startBackend(engine, backendFlag(flags.backend));

  const comparisons = await engine.generateComparisons(request, (done, total) => {
    if (done % 10 === 0 || done === total) log(`sampled ${done}/${total} prompts`);
  });
  const name = simulatedAnnotatorName(annotator);
  const rng = new Rng(annotator.seed ^ 0x5eed);
  let ties = 0;
  const pairs = comparisons.flatMap((c) => {
    const judged = simulateJudgement(c.prompt, c.completions, annotator, rng);
    if (judged.ranking.length === 1) ties++;
    return toPairs({ prompt: c.prompt, completions: c.completions, ranking: judged.ranking, scores: judged.scores, annotator: name });
  });
  const out = String(flags.out ?? 'runs/labels.jsonl');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, toTrlJsonl(pairs));
  log(`${name} labeled ${comparisons.length} comparisons: ${pairs.length} pairs, ${ties} all-tie comparisons (no pair); wrote ${out}`);
}
