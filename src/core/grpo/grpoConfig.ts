/**
 * A GRPO or RLOO run's settings under Hugging Face TRL's GRPOConfig / RLOOConfig names (followed:
 * commit 13b4eb95, TRL v0.24-v0.25), with defaults changed only where TRL's suit billion-parameter
 * models and not this 0.3M-parameter one with a 64-token context. Validation names the field of each problem.
 */
import type { LrSchedulerType } from '../train/pretrainConfig.ts';
import { fieldChecks, type FieldError } from '../train/validate.ts';
import type { ScaleRewards } from './groupAdvantages.ts';
import type { GrpoLossType } from './grpoLoss.ts';

export type GroupMethod = 'grpo' | 'rloo';

export interface GrpoConfig {
  /** Completions sampled per prompt (the group). TRL: 8 (GRPO), 2 (RLOO). */
  num_generations: number;
  /** Tokens generated per completion at most; prompt + completion must fit the model's context. */
  max_completion_length: number;
  temperature: number;
  /** KL weight to the frozen reference. GRPO: k3 per token in the loss (0 = no reference model); RLOO: k1 summed per completion, in the reward. */
  beta: number;
  /** Lower clip of the ratio, 1 - epsilon. */
  epsilon: number;
  /** Upper clip, 1 + epsilon_high; null = epsilon (TRL's None). DAPO suggests 0.28. */
  epsilon_high: number | null;
  /** GRPO's reduction of the per-token loss (grpoLoss.ts). */
  loss_type: GrpoLossType;
  /** GRPO: divide advantages by the group's std, the batch's std, or not at all. */
  scale_rewards: ScaleRewards;
  /** RLOO: standardise the leave-one-out advantages over the batch. */
  normalize_advantages: boolean;
  /** Leave completions that hit max_completion_length without end-of-text out of the loss. */
  mask_truncated_completions: boolean;
  /** Optimizer steps per batch of completions (TRL's mu); 1 = on-policy, the ratio is then exactly 1. */
  num_iterations: number;
  /** Weight of each reward function, in order; null = all 1. */
  reward_weights: number[] | null;
  learning_rate: number;
  lr_scheduler_type: LrSchedulerType;
  /** Completions per step (prompts per step * num_generations); a multiple of num_generations. */
  per_device_train_batch_size: number;
  /** Steps: each samples a batch, scores it and makes num_iterations optimizer steps. */
  max_steps: number;
  seed: number;
  max_grad_norm: number;
  weight_decay: number;
  /** Checkpoint every save_steps steps and at the end. */
  save_steps: number;
  /** Prompts of the built-in story-request set (used when the request gives none). */
  num_prompts: number;
  /**
   * Not TRL's: keep a frozen copy of the starting model even when beta is 0 and log `objective/kl`,
   * each completion's summed log(pi / pi_ref) (k1) at sampling time, averaged (as PPO's objective/kl).
   * The overoptimization chart plots rewards against its square root. Costs one reference forward pass a step.
   */
  log_sequence_kl: boolean;
}

export function defaultGrpoConfig(method: GroupMethod = 'grpo'): GrpoConfig {
  return {
    num_generations: 8,
    // As PPO's response_length: the shipped models' 64-token context also holds the ~12-token prompt.
    max_completion_length: 48,
    temperature: 1.0,
    // TRL: GRPO 0.0 (no reference model), RLOO 0.05.
    beta: method === 'rloo' ? 0.05 : 0,
    epsilon: 0.2,
    epsilon_high: null,
    loss_type: 'dapo',
    scale_rewards: 'group',
    normalize_advantages: false,
    mask_truncated_completions: false,
    num_iterations: 1,
    reward_weights: null,
    // TRL's 1e-6 suits 1B-parameter models. Tuned from the SFT model on the happy-ending gold score
    // (bench:grpo, Node wasm): at 3e-4 with 4 prompts x 8 per step the gold mean had not clearly
    // risen after 40 steps; at 1e-3 with 8 x 8 it went from ~0 to ~0.95 within 20 steps (~15 s).
    learning_rate: 1e-3,
    lr_scheduler_type: 'linear',
    // 8 prompts x 8 completions per step: fewer prompts made each step's gold mean hinge on the
    // moods those few prompts request.
    per_device_train_batch_size: 64,
    max_steps: 100,
    seed: 0,
    max_grad_norm: 1.0,
    weight_decay: 0,
    save_steps: 20,
    num_prompts: 256,
    log_sequence_kl: true,
  };
}

/** The upper clip actually used. */
export const epsilonHigh = (c: GrpoConfig): number => c.epsilon_high ?? c.epsilon;

export function validateGrpoConfig(c: GrpoConfig, rewardFunctions?: number): FieldError[] {
  const errors: FieldError[] = [];
  const { int, num, bool, oneOf } = fieldChecks(c, errors);
  // Two or more: a group of one has no spread to compare against.
  int('num_generations', 2, 64);
  int('max_completion_length', 1, 4096);
  num('temperature', 0, 100, true);
  num('beta', 0, 100);
  num('epsilon', 0, 1, true);
  if (c.epsilon_high !== null) num('epsilon_high', 0, 10, true);
  oneOf('loss_type', ['grpo', 'bnpo', 'dr_grpo', 'dapo']);
  oneOf('scale_rewards', ['group', 'batch', 'none']);
  bool('normalize_advantages');
  bool('mask_truncated_completions');
  int('num_iterations', 1, 100);
  if (c.reward_weights !== null) {
    if (!Array.isArray(c.reward_weights) || c.reward_weights.some((w) => typeof w !== 'number' || !Number.isFinite(w))) errors.push({ field: 'reward_weights', message: 'must be a list of numbers, one per reward function, or null' });
    else if (rewardFunctions !== undefined && c.reward_weights.length !== rewardFunctions) errors.push({ field: 'reward_weights', message: `has ${c.reward_weights.length} weights for ${rewardFunctions} reward functions` });
  }
  num('learning_rate', 0, 1, true);
  oneOf('lr_scheduler_type', ['constant', 'linear', 'cosine']);
  int('per_device_train_batch_size', 2, 1024);
  if (Number.isInteger(c.per_device_train_batch_size) && Number.isInteger(c.num_generations) && c.num_generations >= 2 && c.per_device_train_batch_size % c.num_generations !== 0) {
    errors.push({ field: 'per_device_train_batch_size', message: `must be a multiple of num_generations (${c.num_generations}): each prompt gets a whole group (got ${c.per_device_train_batch_size})` });
  }
  int('max_steps', 1, 1_000_000);
  int('seed', 0, 2 ** 32 - 1);
  num('max_grad_norm', 0, 1e6);
  num('weight_decay', 0, 1);
  int('save_steps', 1, 1_000_000);
  int('num_prompts', 1, 100_000);
  bool('log_sequence_kl');
  return errors;
}
