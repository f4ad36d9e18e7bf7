/**
 * ORPO's loss (Hong et al. 2024, Odds Ratio Preference Optimization) as TRL's ORPOTrainer computes
 * it: no reference model; supervised fine-tuning on the chosen completion plus a term that raises
 * the odds of the chosen completion against the rejected one. On per-token AVERAGE log-probs
 * (TRL calls get_batch_logps with average_log_prob=True), with odds(y) = P / (1 - P):
 *   log_odds = (chosen - rejected) - (log(1 - exp(chosen)) - log(1 - exp(rejected)))
 *   ratio    = logsigmoid(log_odds),   losses = beta * ratio       (beta is the paper's lambda)
 *   loss     = chosen_nll - mean(losses)
 * log(1 - exp(x)) goes through log1mexp (stableMath.ts), finite even where P rounds to 1.
 */
import * as tf from '@tensorflow/tfjs';
import { log1mexp, logSigmoid, perToken } from './stableMath.ts';

export interface OrpoLossInputs {
  /** [B] SUMS of token log-probs; divided by the lengths here. */
  chosen_logps: tf.Tensor1D;
  rejected_logps: tf.Tensor1D;
  /** [B] completion token counts (clamped at 1). */
  chosen_lengths: tf.Tensor1D;
  rejected_lengths: tf.Tensor1D;
  /** Mean token negative log-likelihood of the chosen completions over the batch (TRL's nll_loss). */
  chosen_nll: tf.Scalar;
}

export interface OrpoLossOutputs {
  /** chosen_nll - mean(beta * logsigmoid(log_odds)): what is minimised. */
  loss: tf.Scalar;
  /** [B] beta * logsigmoid(log_odds) (TRL's per-pair `losses`, subtracted from the NLL). */
  losses: tf.Tensor1D;
  /** [B] beta * average log-prob of each completion: metrics only. */
  chosen_rewards: tf.Tensor1D;
  rejected_rewards: tf.Tensor1D;
  /** mean(logsigmoid(log_odds)) (TRL logs this as log_odds_ratio). */
  log_odds_ratio: tf.Scalar;
  /** mean(log_odds) (TRL's log_odds_chosen). */
  log_odds_chosen: tf.Scalar;
  nll_loss: tf.Scalar;
}

export function orpoLoss(x: OrpoLossInputs, p: { beta: number }): OrpoLossOutputs {
  const chosen = perToken(x.chosen_logps, x.chosen_lengths); // [B] mean log-prob per token
  const rejected = perToken(x.rejected_logps, x.rejected_lengths);
  // Eqs. (4) and (7) of the paper via log identities: log odds(y) = log P - log(1 - P).
  const logOdds = tf.sub(tf.sub(chosen, rejected), tf.sub(log1mexp(chosen), log1mexp(rejected)));
  const ratio = logSigmoid(logOdds);
  const losses = tf.mul(ratio, p.beta) as tf.Tensor1D;
  return {
    loss: tf.sub(x.chosen_nll, tf.mean(losses)) as tf.Scalar,
    losses,
    chosen_rewards: tf.mul(chosen, p.beta) as tf.Tensor1D,
    rejected_rewards: tf.mul(rejected, p.beta) as tf.Tensor1D,
    log_odds_ratio: tf.mean(ratio) as tf.Scalar,
    log_odds_chosen: tf.mean(logOdds) as tf.Scalar,
    nll_loss: x.chosen_nll,
  };
}
