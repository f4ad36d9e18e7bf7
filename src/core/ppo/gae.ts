/**
 * Generalised Advantage Estimation over response tokens (Schulman et al. 2015), as TRL's
 * PPOTrainer computes it. rewards, values, mask are [B, T]; mask is 1 on real tokens. Values past
 * a response's last real token count as 0 (the episode has ended), so the last token bootstraps
 * from nothing. Reversed loop over t = T-1 .. 0:
 *   delta_t   = r_t + gamma * V_{t+1} - V_t                      (V_T = 0)
 *   A_t       = delta_t + gamma * lam * A_{t+1}                  (A_T = 0)
 *   returns_t = A_t + V_t                                        (the value head's regression target)
 * Then advantages are whitened over the mask (masked_whiten, shift_mean=true) and padding set to 0.
 */
import { maskedWhiten, zeroPadding, type Matrix } from './maskedStats.ts';

export interface GaeOptions {
  gamma: number;
  lam: number;
  /**
   * Positions whose value counts; defaults to mask. TRL's own layout (score one past the last
   * token, rewards.ts 'trl_first_pad') keeps one more position: pass that padding_mask_p1 here.
   */
  valueMask?: Matrix;
  /** Whiten the advantages (TRL always does); false returns the raw GAE advantages. */
  whiten?: boolean;
}

export interface GaeOutputs {
  /** [B, T], whitened over the mask, 0 on padding. */
  advantages: Matrix;
  /** [B, T], raw advantages + values (before whitening), 0 on padding past the value mask. */
  returns: Matrix;
}

export function computeAdvantages(rewards: Matrix, values: Matrix, mask: Matrix, opts: GaeOptions): GaeOutputs {
  const { gamma, lam } = opts;
  const v = zeroPadding(values, opts.valueMask ?? mask);
  const raw = rewards.map((row) => new Array<number>(row.length).fill(0));
  for (let b = 0; b < rewards.length; b++) {
    const T = rewards[b].length;
    let lastgaelam = 0;
    for (let t = T - 1; t >= 0; t--) {
      const nextValue = t < T - 1 ? v[b][t + 1] : 0;
      const delta = rewards[b][t] + gamma * nextValue - v[b][t];
      lastgaelam = delta + gamma * lam * lastgaelam;
      raw[b][t] = lastgaelam;
    }
  }
  const returns = raw.map((row, b) => row.map((a, t) => a + v[b][t]));
  const advantages = opts.whiten === false ? zeroPadding(raw, mask) : zeroPadding(maskedWhiten(raw, mask), mask);
  return { advantages, returns };
}
