/**
 * PPO's hyperparameters, named and defaulted exactly as Hugging Face TRL's PPOConfig (plus the
 * fields PPO reads from TRL's OnPolicyConfig), so a run here can be compared with a TRL run.
 *
 * Defaults follow TRL v0.14 - v0.2x (trl/trainer/ppo_config.py and OnPolicyConfig in
 * trl/trainer/utils.py: the PPOTrainer rewritten from "PPOv2", with kl_coef / kl_estimator);
 * PPO later moved to trl.experimental.ppo with the same names. The older TRL PPOConfig (<= v0.11:
 * adap_kl_ctrl, init_kl_coef, target, horizon) is covered by klController.ts.
 */

export type KlEstimator = 'k1' | 'k3';

export interface PPOConfig {
  /** PPO epochs over each batch of rollouts. */
  num_ppo_epochs: number;
  /** Mini-batches each batch of rollouts is split into per PPO epoch. */
  num_mini_batches: number;
  /** Whiten the per-token rewards (shift_mean=false) before GAE. TRL: off; noisy on small batches. */
  whiten_rewards: boolean;
  /** beta: weight of the per-token KL penalty, reward_t = -kl_coef * kl_t (+ score on the last token). */
  kl_coef: number;
  /** 'k1' = logprob - ref_logprob (unbiased, can be negative); 'k3' = (r - 1) - log r, r = exp(ref - logprob) (unbiased, >= 0, lower variance). */
  kl_estimator: KlEstimator;
  /** Policy ratio clipped to [1 - cliprange, 1 + cliprange]. */
  cliprange: number;
  /** New value predictions clipped to old_value +- cliprange_value. */
  cliprange_value: number;
  /** loss = pg_loss + vf_coef * vf_loss. */
  vf_coef: number;
  /** Discount over response tokens. 1: the score reaches every token undiscounted, as in TRL. */
  gamma: number;
  /** GAE's lambda: 0 = one-step TD (low variance, biased by the value head), 1 = Monte Carlo returns. */
  lam: number;
  /** Tokens generated per response. */
  response_length: number;
  /** Sampling temperature; the policy's logits are divided by it (plus 1e-7) for logprobs too. */
  temperature: number;
  /** Subtracted from the score of a response without the EOS token; null: no penalty. */
  missing_eos_penalty: number | null;
}

export function defaultPPOConfig(): PPOConfig {
  return {
    num_ppo_epochs: 4,
    num_mini_batches: 1,
    whiten_rewards: false,
    kl_coef: 0.05,
    kl_estimator: 'k1',
    cliprange: 0.2,
    cliprange_value: 0.2,
    vf_coef: 0.1,
    gamma: 1.0,
    lam: 0.95,
    response_length: 53,
    temperature: 0.7,
    missing_eos_penalty: null,
  };
}
