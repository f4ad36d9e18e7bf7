/**
 * How an earlier PPO run is named beside another on the charts: by what differs, first its KL
 * setting (the lesson: kl_coef 0.05 against 0), under TRL's names.
 */
/** Settings named in a label when they differ from the run on screen, under TRL's names. */
const COMPARED = ['kl_estimator', 'learning_rate', 'per_device_train_batch_size', 'response_length', 'temperature', 'max_steps', 'seed', 'reward'];
/** At most this many of them in one label, so the legend stays readable. */
const MAX_EXTRA = 2;

type Settings = Record<string, unknown>;

/** What a label reads of a stored run (RunRecord's fields: a PPO run's settings are its stageConfig). */
interface StoredRun {
  id?: number;
  stageConfig?: Settings;
}

/** A run's KL setting in words: "kl_coef=0.05", with "target=6" when the adaptive controller was on. */
export function klLabel(settings: Settings | undefined): string {
  if (!settings) return 'kl_coef=?';
  const coef = `kl_coef=${String(settings.kl_coef)}`;
  return settings.adap_kl_ctrl === true ? `${coef}, target=${String(settings.target)}` : coef;
}

/** "#3 kl_coef=0.05, seed=1": the run, its KL setting, and what else differs from `reference`. */
export function overlayLabel(record: StoredRun, reference: Settings | undefined): string {
  const settings = record.stageConfig;
  const extra = reference && settings ? COMPARED.filter((key) => key in settings && settings[key] !== reference[key]).slice(0, MAX_EXTRA) : [];
  return [`#${record.id} ${klLabel(settings)}`, ...extra.map((key) => `${key}=${String(settings![key])}`)].join(', ');
}
