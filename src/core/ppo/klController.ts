/**
 * KL coefficient controllers for the penalty reward_t = -kl_coef * kl_t.
 *
 * Adaptive (Ziegler et al. 2019, "Fine-Tuning Language Models from Human Preferences"; the older
 * TRL PPOConfig's adap_kl_ctrl / init_kl_coef / target / horizon): after a batch with measured KL
 * `current` over n_steps samples,
 *   proportional_error = clip(current / target - 1, -0.2, 0.2)
 *   mult = 1 + proportional_error * n_steps / horizon
 *   value *= mult
 * so the coefficient rises while the KL overshoots the target and falls while it undershoots,
 * by at most 20% per horizon samples. Fixed: value never changes (TRL's current PPOTrainer).
 */

export interface KLController {
  /** The current kl_coef. */
  readonly value: number;
  /** Feed one batch's measured KL (objective/kl) and its number of samples. */
  update(current: number, nSteps: number): void;
}

/** Defaults of the older TRL PPOConfig (<= v0.11): init_kl_coef 0.2, target 6, horizon 10000. */
export const ADAPTIVE_KL_DEFAULTS = { init_kl_coef: 0.2, target: 6, horizon: 10000 } as const;

export class AdaptiveKLController implements KLController {
  value: number;
  constructor(
    initKlCoef: number = ADAPTIVE_KL_DEFAULTS.init_kl_coef,
    readonly target: number = ADAPTIVE_KL_DEFAULTS.target,
    readonly horizon: number = ADAPTIVE_KL_DEFAULTS.horizon,
  ) {
    this.value = initKlCoef;
  }

  update(current: number, nSteps: number): void {
    const proportionalError = Math.min(Math.max(current / this.target - 1, -0.2), 0.2);
    this.value *= 1 + (proportionalError * nSteps) / this.horizon;
  }
}

export class FixedKLController implements KLController {
  constructor(readonly value: number) {}
  /** Ignores the measured KL: the coefficient stays at its initial value. */
  update(_current: number, _nSteps: number): void {}
}
