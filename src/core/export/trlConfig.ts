/**
 * The playground's stage settings as the arguments of TRL's trainers (checked against TRL 1.13's
 * config classes; PPO against ppo.py, which keeps TRL's former PPOConfig names): for each stage,
 * the trainer to use, the fields TRL has under TRL's names, and the playground-only fields that
 * have no TRL counterpart (listed in the exported README so nothing is dropped silently).
 */
import type { DpoRunConfig, PreferenceMethod } from '../dpo/dpoConfig.ts';
import type { GroupMethod, GrpoConfig } from '../grpo/grpoConfig.ts';
import type { PpoRunConfig } from '../ppo/ppoRunConfig.ts';
import type { RewardConfig } from '../reward/rewardConfig.ts';
import type { SftConfig } from '../sft/sftConfig.ts';

export type TrlStage = 'sft' | 'reward' | 'dpo' | 'grpo' | 'ppo';
/** The order stages run in (each later one may start from an earlier one's output). */
export const TRL_STAGES: readonly TrlStage[] = ['sft', 'reward', 'dpo', 'grpo', 'ppo'];

export type TrlArgs = Record<string, number | string | boolean | number[] | string[]>;

/** A playground setting the TRL script does not use, and why. */
export interface DroppedSetting {
  field: string;
  value: unknown;
  why: string;
}

export interface TrlStageArgs {
  /** TRL's trainer class ("DPOTrainer"); train.py imports it with its config class. */
  trainer: string;
  /** Keyword arguments of the trainer's config class, by TRL name. */
  args: TrlArgs;
  /** Fraction of the rows train.py holds out for evaluation (a split, not a TRL argument). */
  eval_fraction?: number;
  dropped: DroppedSetting[];
}

const EVAL_SPLIT = 'train.py holds out this fraction of the rows as the eval split (datasets train_test_split), as the playground does';

/** The TrainingArguments fields every stage shares. */
function common(c: { learning_rate: number; lr_scheduler_type: string; seed: number; max_grad_norm: number; weight_decay: number; per_device_train_batch_size: number }): TrlArgs {
  return {
    learning_rate: c.learning_rate,
    lr_scheduler_type: c.lr_scheduler_type,
    per_device_train_batch_size: c.per_device_train_batch_size,
    seed: c.seed,
    max_grad_norm: c.max_grad_norm,
    weight_decay: c.weight_decay,
  };
}

export function sftArgs(c: SftConfig): TrlStageArgs {
  return {
    trainer: 'SFTTrainer',
    args: {
      ...common(c),
      warmup_steps: c.warmup_steps,
      num_train_epochs: c.num_train_epochs,
      max_steps: c.max_steps,
      completion_only_loss: c.completion_only_loss,
      max_length: c.max_length,
      logging_steps: c.logging_steps,
      eval_steps: c.eval_steps,
    },
    eval_fraction: c.eval_fraction,
    dropped: [
      { field: 'eval_fraction', value: c.eval_fraction, why: EVAL_SPLIT },
      { field: 'sample_steps', value: c.sample_steps, why: 'the playground\'s before/after sample panel; TRL has no such setting' },
    ],
  };
}

export function rewardArgs(c: RewardConfig): TrlStageArgs {
  return {
    trainer: 'RewardTrainer',
    args: {
      ...common(c),
      warmup_steps: c.warmup_steps,
      num_train_epochs: c.num_train_epochs,
      max_steps: c.max_steps,
      max_length: c.max_length,
      ...(c.center_rewards_coefficient !== null ? { center_rewards_coefficient: c.center_rewards_coefficient } : {}),
      logging_steps: c.logging_steps,
      eval_steps: c.eval_steps,
      eval_on_start: c.eval_on_start,
    },
    eval_fraction: c.eval_fraction,
    dropped: [
      { field: 'eval_fraction', value: c.eval_fraction, why: EVAL_SPLIT },
      { field: 'trainable_layers', value: c.trainable_layers, why: 'TRL trains every weight of the reward model (freeze layers yourself, or use PEFT, to imitate it)' },
    ],
  };
}

const PREFERENCE_TRAINERS: Record<PreferenceMethod, string> = { dpo: 'DPOTrainer', kto: 'KTOTrainer', orpo: 'ORPOTrainer', cpo: 'CPOTrainer' };

/** Only the fields of the chosen method: the other methods' settings are not TRL arguments of this trainer. */
function preferenceMethodArgs(c: DpoRunConfig): TrlArgs {
  switch (c.method) {
    case 'dpo':
      return {
        beta: c.beta,
        // TRL takes one name or a list (summed with loss_weights).
        loss_type: c.loss_type.length === 1 ? c.loss_type[0] : [...c.loss_type],
        ...(c.loss_weights !== null ? { loss_weights: [...c.loss_weights] } : {}),
        label_smoothing: c.label_smoothing,
        discopop_tau: c.discopop_tau,
        f_divergence_type: c.f_divergence_type,
        f_alpha_divergence_coef: c.f_alpha_divergence_coef,
        precompute_ref_log_probs: c.precompute_ref_log_probs,
      };
    case 'kto':
      return { beta: c.beta, desirable_weight: c.desirable_weight, undesirable_weight: c.undesirable_weight, precompute_ref_log_probs: c.precompute_ref_log_probs };
    case 'orpo':
      return { beta: c.beta };
    case 'cpo':
      return { beta: c.beta, loss_type: c.cpo_loss_type, simpo_gamma: c.simpo_gamma, cpo_alpha: c.cpo_alpha, label_smoothing: c.label_smoothing };
  }
}

export function preferenceArgs(c: DpoRunConfig): TrlStageArgs {
  return {
    trainer: PREFERENCE_TRAINERS[c.method],
    args: {
      ...common(c),
      ...preferenceMethodArgs(c),
      warmup_steps: c.warmup_steps,
      num_train_epochs: c.num_train_epochs,
      max_steps: c.max_steps,
      max_length: c.max_length,
      logging_steps: c.logging_steps,
      eval_steps: c.eval_steps,
      save_steps: c.save_steps,
    },
    eval_fraction: c.eval_fraction,
    dropped: [
      { field: 'eval_fraction', value: c.eval_fraction, why: EVAL_SPLIT },
      { field: 'num_eval_prompts', value: c.num_eval_prompts, why: 'the playground\'s gold win rate on fresh samples; TRL logs its own eval/rewards/* metrics' },
      ...(c.method === 'dpo' ? [{ field: 'reference_free', value: c.reference_free, why: 'TRL 1.x\'s DPOConfig has no reference_free: the frozen reference is always the starting model' }] : []),
    ],
  };
}

export function groupArgs(method: GroupMethod, c: GrpoConfig): TrlStageArgs {
  const shared: TrlArgs = {
    ...common(c),
    num_generations: c.num_generations,
    max_completion_length: c.max_completion_length,
    temperature: c.temperature,
    beta: c.beta,
    epsilon: c.epsilon,
    ...(c.epsilon_high !== null ? { epsilon_high: c.epsilon_high } : {}),
    mask_truncated_completions: c.mask_truncated_completions,
    num_iterations: c.num_iterations,
    ...(c.reward_weights !== null ? { reward_weights: [...c.reward_weights] } : {}),
    max_steps: c.max_steps,
    save_steps: c.save_steps,
  };
  const own: TrlArgs = method === 'grpo' ? { loss_type: c.loss_type, scale_rewards: c.scale_rewards } : { normalize_advantages: c.normalize_advantages };
  const otherMethod: DroppedSetting[] = method === 'grpo'
    ? [{ field: 'normalize_advantages', value: c.normalize_advantages, why: 'an RLOO setting; this export uses GRPO' }]
    : [
        { field: 'loss_type', value: c.loss_type, why: 'a GRPO setting; this export uses RLOO' },
        { field: 'scale_rewards', value: c.scale_rewards, why: 'a GRPO setting; this export uses RLOO' },
      ];
  return {
    trainer: method === 'grpo' ? 'GRPOTrainer' : 'RLOOTrainer',
    args: { ...shared, ...own },
    dropped: [
      { field: 'num_prompts', value: c.num_prompts, why: 'the prompts are exported as data/prompts.jsonl instead' },
      { field: 'log_sequence_kl', value: c.log_sequence_kl, why: 'playground-only: TRL logs its own kl (when beta > 0)' },
      ...otherMethod,
    ],
  };
}

export function ppoArgs(c: PpoRunConfig): TrlStageArgs {
  return {
    trainer: 'PPOTrainer',
    args: {
      ...common(c),
      num_ppo_epochs: c.num_ppo_epochs,
      num_mini_batches: c.num_mini_batches,
      whiten_rewards: c.whiten_rewards,
      kl_coef: c.kl_coef,
      kl_estimator: c.kl_estimator,
      cliprange: c.cliprange,
      cliprange_value: c.cliprange_value,
      vf_coef: c.vf_coef,
      gamma: c.gamma,
      lam: c.lam,
      response_length: c.response_length,
      temperature: c.temperature,
      ...(c.missing_eos_penalty !== null ? { missing_eos_penalty: c.missing_eos_penalty } : {}),
      // TRL counts rollouts, not iterations: each iteration samples batch * mini-batches prompts.
      total_episodes: c.max_steps * c.per_device_train_batch_size * c.num_mini_batches,
      save_steps: c.save_steps,
    },
    dropped: [
      { field: 'max_steps', value: c.max_steps, why: 'written as total_episodes = max_steps x per_device_train_batch_size x num_mini_batches' },
      { field: 'adap_kl_ctrl', value: c.adap_kl_ctrl, why: 'the older TRL adaptive KL controller; ppo.py, like TRL\'s last PPOTrainer, keeps kl_coef fixed' },
      { field: 'target', value: c.target, why: 'the adaptive KL controller\'s target (not in ppo.py)' },
      { field: 'horizon', value: c.horizon, why: 'the adaptive KL controller\'s horizon (not in ppo.py)' },
      { field: 'num_prompts', value: c.num_prompts, why: 'the prompts are exported as data/prompts.jsonl instead' },
    ],
  };
}
