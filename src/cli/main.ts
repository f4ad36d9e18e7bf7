/**
 * The headless command line: `npm run rlhf -- <stage> [options]`. Same core as the browser,
 * tfjs wasm backend (cpu as fallback). Bad input exits with code 2 and one line naming the field.
 */
import { ConfigError } from '../core/train/validate.ts';
import { UsageError } from './args.ts';
import { LABEL_HELP, labelCommand } from './labelCommand.ts';
import { createNodeEngine } from './nodeEngine.ts';
import { PRETRAIN_HELP, pretrainCommand } from './pretrainCommand.ts';
import { SFT_HELP, sftCommand } from './sftCommand.ts';
import { REWARD_HELP, rewardCommand } from './rewardCommand.ts';
import { PPO_HELP, ppoCommand } from './ppoCommand.ts';
import { dpoCommand, dpoHelp } from './dpoCommand.ts';
import { grpoCommand, grpoHelp } from './grpoCommand.ts';
import { PREFERENCE_METHODS } from '../core/dpo/dpoConfig.ts';

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<void> }> = {
  pretrain: { help: PRETRAIN_HELP, run: (argv) => pretrainCommand(createNodeEngine(), argv) },
  sft: { help: SFT_HELP, run: (argv) => sftCommand(createNodeEngine(), argv) },
  label: { help: LABEL_HELP, run: (argv) => labelCommand(createNodeEngine(), argv) },
  reward: { help: REWARD_HELP, run: (argv) => rewardCommand(createNodeEngine(), argv) },
  ppo: { help: PPO_HELP, run: (argv) => ppoCommand(createNodeEngine(), argv) },
  ...Object.fromEntries(PREFERENCE_METHODS.map((m) => [m, { help: dpoHelp(m), run: (argv: string[]) => dpoCommand(m, createNodeEngine(), argv) }])),
  ...Object.fromEntries((['grpo', 'rloo'] as const).map((m) => [m, { help: grpoHelp(m), run: (argv: string[]) => grpoCommand(m, createNodeEngine(), argv) }])),
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command || rest.includes('--help')) {
    console.log(command ? command.help : `usage: npm run rlhf -- <command> [options]\ncommands:\n${Object.values(COMMANDS).map((c) => '  ' + c.help.split('\n')[0]).join('\n')}`);
    if (!command && name !== undefined && name !== '--help') process.exitCode = 2;
    return;
  }
  try {
    await command.run(rest);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`invalid config: ${e.errors[0].field}: ${e.errors[0].message}`);
      process.exitCode = 2;
    } else if (e instanceof UsageError) {
      console.error(`invalid arguments: ${e.message}`);
      process.exitCode = 2;
    } else throw e;
  }
}

await main(process.argv.slice(2));
