/**
 * README.md of the TRL export: how to run it, what changes from the playground (the model, its
 * tokenizer and context, the speed) and what stays (the data, the hyperparameters by TRL name,
 * the loss types, the seeds), and each playground-only setting the script does not use.
 */
import type { DroppedSetting, TrlStage, TrlStageArgs } from './trlConfig.ts';
import { verifiedVersionsText } from './trlVersions.ts';

const STAGE_TITLES: Record<TrlStage, string> = {
  sft: 'Supervised fine-tuning',
  reward: 'Reward model',
  dpo: 'Direct preference optimisation',
  grpo: 'Group-relative policy optimisation',
  ppo: 'PPO',
};

const STAGE_NOTES: Record<TrlStage, string> = {
  sft: 'Trains on `data/sft.jsonl` (prompt/completion); saves to `outputs/sft`.',
  reward: 'Trains a sequence-classification head (one output, the reward) on `data/preferences.jsonl` (prompt/chosen/rejected), starting from `outputs/sft` when it exists; saves to `outputs/reward`. TRL\'s RewardTrainer leaves out the pairs longer than `max_length` tokens (it does not cut them), and train.py stops with a message when none is left: raise `max_length` for a tokenizer that needs more tokens than the playground\'s.',
  dpo: 'Starts from `outputs/sft` when it exists, else the model; the frozen reference is a copy of the start. Saves to `outputs/dpo`. KTO and DPO are in `trl`; ORPO and CPO in `trl.experimental` (train.py looks in both).',
  grpo: 'Generates for the prompts in `data/prompts.jsonl` and scores with the functions in `rewards.py` (their names and weights are in config.json); a `reward_model` function is the reward stage\'s model in `outputs/reward`. Saves to `outputs/grpo`.',
  ppo: 'TRL 1.x has no PPOTrainer any more (TRL removed it), so the export brings its own: `ppo.py`, PPO with a value model in PyTorch, taking the arguments below under the names of TRL\'s former PPOConfig. It scores with a reward model, so run the reward stage first; the value model starts as a copy of it. For PPO, `--max_steps` counts iterations (a rollout and its updates). Saves the policy to `outputs/ppo`.',
};

function value(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function argsTable(args: TrlStageArgs['args']): string {
  return ['| TRL argument | value |', '| --- | --- |', ...Object.entries(args).map(([k, v]) => `| \`${k}\` | \`${value(v)}\` |`)].join('\n');
}

function droppedList(dropped: readonly DroppedSetting[]): string {
  return dropped.map((d) => `- \`${d.field}\` = \`${value(d.value)}\`: ${d.why}`).join('\n');
}

export function exportReadme(model: string, stages: readonly { stage: TrlStage; entry: { trainer: string; args: TrlStageArgs['args'] }; dropped: readonly DroppedSetting[] }[]): string {
  const sections = stages.map(({ stage, entry, dropped }) => [
    `### ${STAGE_TITLES[stage]}: \`${entry.trainer}\``,
    '',
    STAGE_NOTES[stage],
    '',
    argsTable(entry.args),
    '',
    'Playground settings not passed to TRL:',
    '',
    droppedList(dropped),
  ].join('\n'));
  return `# RLHF Playground export for TRL

The stages you set up in the RLHF Playground, ready to run with Hugging Face TRL on a real model
(\`${model}\`), on one GPU or many.

## Run it

\`\`\`sh
pip install -r requirements.txt
accelerate launch --config_file accelerate_config.yaml train.py --stage all
\`\`\`

\`--stage sft|reward|dpo|grpo|ppo\` runs one stage; \`--model NAME\` trains another model than the one in
config.json (a Hugging Face model id or a local folder); \`--output-dir\` moves \`outputs/\`;
\`--max_steps 2\` is a smoke run (two steps a stage, each logged) to check that everything loads.
Stages run in the order ${stages.map((s) => s.stage).join(' → ')}; the policy stages start from \`outputs/sft\`
when it exists. Each stage saves its model and tokenizer to \`outputs/<stage>\`, with \`run_summary.json\`
(steps, seconds, the mean and the last logged loss).

## One GPU or several

\`accelerate_config.yaml\` runs one process on one machine: one GPU, or the CPU when there is none
(then in full precision). For N GPUs on this machine, set \`distributed_type: MULTI_GPU\` and
\`num_processes: N\` in it, or add \`--multi_gpu --num_processes N\` to the command;
\`accelerate config --config_file accelerate_config.yaml\` asks the questions (GPUs, mixed precision,
DeepSpeed, FSDP) and writes the file again. \`per_device_train_batch_size\` is per GPU, so N GPUs
train on N times the batch. On recent GPUs TRL trains in bf16 by default.

## What was checked

This export (train.py, ppo.py, rewards.py, the data formats, every stage and every trainer a stage can
export: SFT, reward, DPO, KTO, ORPO, CPO, GRPO, RLOO and PPO) was run for real with

    ${verifiedVersionsText()}

on a CPU, with a tiny random model (a 2-layer Llama and a tokenizer trained on the exported text),
two steps a stage, by the RLHF Playground's \`npm run verify:trl\`; every stage also ran in two
processes at once on the CPU (torch.distributed.run over gloo), the code paths N GPUs take. Not
checked: a GPU, several GPUs over NCCL (MULTI_GPU, DeepSpeed, FSDP), bf16, a real pretrained model,
full-length runs, and whether the trained models are any good. Other versions within requirements.txt's ranges may rename
an argument: the run then stops at once with \`unexpected keyword argument\` and its name.

## What is in the zip

- \`train.py\`: the script; it reads everything from config.json.
- \`ppo.py\` (when PPO is exported): the PPO trainer train.py uses, since TRL 1.x has none.
- \`accelerate_config.yaml\`: how \`accelerate launch\` spreads the work (see above).
- \`config.json\`: each stage's trainer and its arguments by TRL's names, the data file it reads,
  the GRPO reward functions with their weights, and the gold preference of the simulated annotator.
- \`data/*.jsonl\`: the datasets in TRL's formats (prompt/completion, prompt/chosen/rejected, prompt).
- \`rewards.py\`: the playground's reward functions in Python. Functions you wrote in JavaScript are
  stubs that stop the run with a message until you port them (their code is in a comment beside them).
- \`data/afinn-165.json\` and its licence: the word list the sentiment rewards use.
- \`requirements.txt\`: TRL 1.x, and the versions of the others it was checked with as lower bounds.

## What changes

- **The model.** The playground trains a tiny GPT (about 0.3M parameters) from its own checkpoints;
  this trains \`${model}\` (or the one you pass with \`--model\`) starting from its published weights.
- **The tokenizer.** The model's own tokenizer replaces the playground's; token counts differ, so
  \`max_length\`, \`max_completion_length\` and \`response_length\` hold a different amount of text.
- **The context length.** The playground's model sees 64 tokens; a real model sees thousands. The
  lengths are kept as exported: raise them for longer texts.
- **The learning rates.** They are the playground's, tuned for a tiny model; a model of 100M+
  parameters usually wants 10 to 100 times smaller (TRL's defaults: SFT 2e-5, DPO 1e-6, GRPO 1e-6).
- **The speed.** Minutes on a laptop become minutes to hours on GPUs; \`accelerate launch\` spreads
  each batch over the GPUs, so \`per_device_train_batch_size\` is per GPU.
- **Reward models.** A trained reward model is a fresh classification head on the new model,
  trained by the reward stage; the playground's reward checkpoints are not exported.

## What stays

- The datasets, row for row.
- The hyperparameters, under TRL's names, with their values (the tables below).
- The loss types (\`loss_type\`, \`loss_weights\`, \`scale_rewards\`, ...) and the seeds.
- The reward functions and their weights (\`reward_weights\`), ported to Python.

## Stages

${sections.join('\n\n')}
`;
}
