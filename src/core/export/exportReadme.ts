/**
 * README.md of the TRL export: how to run it, what changes from the playground (the model, its
 * tokenizer and context, the speed) and what stays (the data, the hyperparameters by TRL name,
 * the loss types, the seeds), and each playground-only setting the script does not use.
 */
import type { DroppedSetting, TrlStage, TrlStageArgs } from './trlConfig.ts';

const STAGE_TITLES: Record<TrlStage, string> = {
  sft: 'Supervised fine-tuning',
  reward: 'Reward model',
  dpo: 'Direct preference optimisation',
  grpo: 'Group-relative policy optimisation',
  ppo: 'PPO',
};

const STAGE_NOTES: Record<TrlStage, string> = {
  sft: 'Trains on `data/sft.jsonl` (prompt/completion); saves to `outputs/sft`.',
  reward: 'Trains a sequence-classification head on `data/preferences.jsonl` (prompt/chosen/rejected), starting from `outputs/sft` when it exists; saves to `outputs/reward`.',
  dpo: 'Starts from `outputs/sft` when it exists, else the model; the frozen reference is a copy of the start. Saves to `outputs/dpo`. The loss-type names are recent TRL\'s (older versions call `aot_unpaired` `aot_pair`, and take one loss type, not a list).',
  grpo: 'Generates for the prompts in `data/prompts.jsonl` and scores with the functions in `rewards.py` (their names and weights are in config.json). Saves to `outputs/grpo`.',
  ppo: 'TRL\'s PPOTrainer is its experimental one (`trl.experimental.ppo` in recent versions) and its arguments change between versions: `run_ppo` in train.py may need adjusting. TRL\'s PPO scores with a reward model, so run the reward stage first; the value model starts as a copy of it. Saves to `outputs/ppo`.',
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
accelerate config            # once: how many GPUs, mixed precision, ...
accelerate launch train.py --stage all
\`\`\`

\`--stage sft|reward|dpo|grpo|ppo\` runs one stage; \`--model NAME\` trains another model than the one in
config.json; \`--output-dir\` moves \`outputs/\`. Stages run in the order ${stages.map((s) => s.stage).join(' → ')};
the policy stages start from \`outputs/sft\` when it exists.

## What is in the zip

- \`train.py\`: the script; it reads everything from config.json.
- \`config.json\`: each stage's trainer and its arguments by TRL's names, the data file it reads,
  the GRPO reward functions with their weights, and the gold preference of the simulated annotator.
- \`data/*.jsonl\`: the datasets in TRL's formats (prompt/completion, prompt/chosen/rejected, prompt).
- \`rewards.py\`: the playground's reward functions in Python. Functions you wrote in JavaScript are
  stubs that stop the run with a message until you port them (their code is in a comment beside them).
- \`data/afinn-165.json\` and its licence: the word list the sentiment rewards use.
- \`requirements.txt\`: TRL pinned to the versions whose argument names this export uses.

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
