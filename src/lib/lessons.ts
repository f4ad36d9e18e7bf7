/**
 * The guided lessons: short sequences of steps, each a paragraph in plain words, the formulas it
 * is about (KaTeX source), the tab and the controls to look at, and what its "Do this step" button
 * does. Pure data: the state (src/state/lessons.svelte.ts) dispatches the actions to the existing
 * stage states, the lesson panel puts the formulas next to the step's control, the link keeps
 * `lesson=<id>&step=<n>` (src/lib/urlConfig.ts), the unit tests check every formula parses and
 * every control a step names is one the components render.
 *
 * Every lesson starts from the shipped base model and each step's settings are small, so a step
 * finishes in about a minute on a laptop without a GPU (the README gives each lesson's time).
 */
import type { StageId } from './stages.ts';

/**
 * What "Do this step" does. Each calls a state method that already exists (a tab's train button,
 * the simulated annotator, the GRPO tab's lessons, the DPO noise experiment); none trains anew.
 */
export const LESSON_ACTIONS = [
  /** Nothing to train: the step's tab is shown, and the text says what to look at. */
  'select-stage',
  /** SFT from the base model on the built-in dataset. */
  'sft-train',
  /** Samples story pairs from the base model and has the simulated annotator label them. */
  'simulate-labels',
  /** A reward model on the newest labeled dataset. */
  'reward-train',
  /** PPO from the newest SFT checkpoint (else the base) against the newest reward model, or the gold score. */
  'ppo-train',
  /** The PPO run on screen again with a fixed KL coefficient of 0, drawn beside it. */
  'ppo-rerun-kl0',
  /** DPO on the newest labeled dataset. */
  'dpo-train',
  /** The DPO tab's label-noise experiment: one run per loss type with a share of the labels flipped. */
  'noise-experiment',
  /** The GRPO tab's reward-hacking lesson, with no KL penalty. */
  'grpo-hacking',
  /** The same with a KL penalty. */
  'grpo-hacking-beta',
  /** The GRPO tab's overoptimization lesson, from labels to the best-of-n baseline. */
  'grpo-overopt',
] as const;
export type LessonAction = (typeof LESSON_ACTIONS)[number];

/**
 * The controls a step can point at, with the words the lesson panel uses for each. A key with a
 * dot is a setting, under its name in the link: its field renders data-setting="<key>" (the
 * fields' urlKey). Any other key is a control that carries data-lesson-target="<key>": a Train
 * button row ("<prefix>-train", from TrainingControls' prefix), a card, a chart ("chart-<id>",
 * from MetricChart's id). tests/unit/lessons.test.ts checks each against the components' sources.
 */
export const LESSON_TARGETS = {
  'ppo.kl_coef': 'the KL coefficient',
  'ppo.adap_kl_ctrl': 'Adaptive KL',
  'dpo.beta': 'Beta',
  'grpo.beta': 'Beta',
  'sft-train': 'the Train button',
  'reward-train': 'the Train button',
  'ppo-train': 'the Train button',
  'dpo-train': 'the Train button',
  simulator: 'the simulated annotator',
  'ppo-rerun': 'the card "Rerun with another KL setting"',
  'grpo-rewards': 'the reward functions',
  'grpo-hacking': 'the reward-hacking buttons',
  'grpo-overopt': 'the overoptimization button',
  'noise-experiment': 'the label-noise experiment',
  'dpo-loss-types': 'the loss types',
  'chart-sft-loss': 'the loss chart',
  'chart-reward-accuracy': 'the accuracy chart',
  'chart-ppo-kl': 'the KL chart',
  'chart-ppo-reward': 'the reward chart',
  'chart-dpo-rewards': 'the chosen and rejected rewards chart',
  'chart-dpo-margins': 'the reward margin chart',
  'chart-overoptimization': 'the overoptimization chart',
} as const satisfies Record<string, string>;
export type LessonTarget = keyof typeof LESSON_TARGETS;

/** A setting's key (it has a dot: 'ppo.kl_coef'), as opposed to another control's. */
export const isSettingTarget = (key: LessonTarget): boolean => key.includes('.');

/** The CSS selector of the element a target key names. */
export function targetSelector(key: LessonTarget): string {
  return isSettingTarget(key) ? `[data-setting="${key}"]` : `[data-lesson-target="${key}"]`;
}

/** Settings a step applies before it runs: the stage form's fields under TRL's names, plus a few of the action's own. */
export type StepSettings = Readonly<Record<string, number | string | boolean>>;

export interface LessonFormula {
  /** KaTeX source. */
  tex: string;
  /** What it is, in words (also its accessible name). */
  label: string;
}

export interface LessonStep {
  title: string;
  /** One paragraph, plain words; names the control it is about. */
  text: string;
  formulas?: readonly LessonFormula[];
  /** The tab the step is about: shown when the step opens, highlighted while it is current. */
  stage: StageId;
  /**
   * The controls on that tab the step is about, outlined while it is current; the formulas sit in
   * a callout after the first one on screen (the others are only outlined).
   */
  targets: readonly [LessonTarget, ...LessonTarget[]];
  action: LessonAction;
  settings?: StepSettings;
  /** The button's words when it does more than show the tab. */
  doLabel?: string;
}

export interface Lesson {
  id: string;
  title: string;
  /** One line: what the lesson shows. */
  goal: string;
  /** About how long its steps take together on a laptop without a GPU, in minutes. */
  minutes: number;
  steps: readonly LessonStep[];
}

// ---- the formulas, shared where two lessons show the same one ----------------------------------

const F = {
  sft: { label: 'The SFT loss: the negative log-likelihood of the answer', tex: String.raw`\mathcal{L}_{\text{SFT}} = -\sum_{t} \log \pi_\theta(y_t \mid x, y_{<t})` },
  bradleyTerry: { label: 'Bradley-Terry: the chance one answer is preferred', tex: String.raw`P(y_w \succ y_l \mid x) = \sigma\big(r(x, y_w) - r(x, y_l)\big)` },
  rewardLoss: { label: 'The reward model loss', tex: String.raw`\mathcal{L}_{\text{RM}} = -\log \sigma\big(r(x, y_w) - r(x, y_l)\big)` },
  klReward: {
    label: 'The reward PPO maximises: the score less beta times the KL',
    tex: String.raw`R(x, y) = r(x, y) - \beta \, \mathrm{KL}\big(\pi_\theta(\cdot \mid x) \,\|\, \pi_{\text{ref}}(\cdot \mid x)\big)`,
  },
  klEstimate: {
    label: 'The KL of one response, summed over its tokens',
    tex: String.raw`\mathrm{KL} \approx \sum_{t} \log \frac{\pi_\theta(y_t \mid x, y_{<t})}{\pi_{\text{ref}}(y_t \mid x, y_{<t})}`,
  },
  klZero: { label: 'With beta 0 the penalty is gone', tex: String.raw`\beta = 0 \;\Rightarrow\; R(x, y) = r(x, y)` },
  adaptiveKl: { label: 'The adaptive KL controller', tex: String.raw`\beta \leftarrow \beta \left(1 + \operatorname{clip}\!\left(\frac{\mathrm{KL} - \mathrm{KL}_{\text{target}}}{\mathrm{KL}_{\text{target}}}, -0.2, 0.2\right) \frac{n}{H}\right)` },
  dpo: {
    label: 'The DPO loss',
    tex: String.raw`\mathcal{L}_{\text{DPO}} = -\log \sigma\!\left(\beta \log \frac{\pi_\theta(y_w \mid x)}{\pi_{\text{ref}}(y_w \mid x)} - \beta \log \frac{\pi_\theta(y_l \mid x)}{\pi_{\text{ref}}(y_l \mid x)}\right)`,
  },
  implicitReward: { label: "DPO's implicit reward", tex: String.raw`\hat r(x, y) = \beta \log \frac{\pi_\theta(y \mid x)}{\pi_{\text{ref}}(y \mid x)}` },
  grpoAdvantage: { label: 'The GRPO advantage of completion i in its group', tex: String.raw`A_i = \frac{r_i - \operatorname{mean}(r_1, \dots, r_G)}{\operatorname{std}(r_1, \dots, r_G)}` },
  grpoObjective: { label: 'The GRPO objective with its KL term', tex: String.raw`\mathcal{J}(\theta) = \mathbb{E}\big[A_i \log \pi_\theta(y_i \mid x)\big] - \beta \, \mathrm{KL}(\pi_\theta \,\|\, \pi_{\text{ref}})` },
  flip: { label: 'Each label is flipped with probability epsilon', tex: String.raw`P(\text{chosen and rejected swapped}) = \varepsilon` },
  robust: {
    label: 'Robust DPO, told the flip rate',
    tex: String.raw`\mathcal{L}_{\text{robust}} = \frac{(1 - \varepsilon)\,\ell(h) - \varepsilon\,\ell(-h)}{1 - 2\varepsilon}, \quad \ell(h) = -\log \sigma(\beta h)`,
  },
  ipo: { label: 'IPO aims the margin h at a fixed target', tex: String.raw`\mathcal{L}_{\text{IPO}} = \left(h - \frac{1}{2\beta}\right)^{2}` },
  sqrtKl: { label: 'Gao et al. measure distance as the square root of the KL', tex: String.raw`d = \sqrt{\mathrm{KL}(\pi \,\|\, \pi_{\text{init}})}` },
  gaoRl: { label: 'Gao et al.: the gold score of RL against d', tex: String.raw`R_{\text{gold}}(d) = d\,(\alpha - \beta_{\text{RL}} \log d)` },
  gaoBon: { label: 'Gao et al.: the gold score of best-of-n against d', tex: String.raw`R_{\text{gold}}(d) = d\,(\alpha - \beta_{\text{bo}n}\, d), \quad \mathrm{KL}_{\text{bo}n} = \log n - \frac{n - 1}{n}` },
} satisfies Record<string, LessonFormula>;

// ---- the lessons --------------------------------------------------------------------------------

/** The labels most steps need: pairs of stories sampled from the base model, labeled by the simulated annotator. */
const LABEL_STEP: LessonStep = {
  title: 'Label story pairs without a person',
  text:
    'Preferences are pairs of answers to the same prompt with the better one marked. Instead of clicking through them, let the simulated annotator on the Preferences tab do it: this step samples two stories for each of 40 prompts from the base model ("Generate comparisons"), then the simulated annotator prefers the happier ending ("Label with the simulated annotator"). Its labels are marked as simulated.',
  formulas: [F.bradleyTerry],
  stage: 'preferences',
  targets: ['simulator'],
  action: 'simulate-labels',
  settings: { prompts: 40, completions: 2 },
  doLabel: 'Generate and label 40 pairs',
};

export const LESSONS: readonly Lesson[] = [
  {
    id: 'first-rlhf',
    title: 'Your first RLHF run',
    goal: 'The whole pipeline once: fine-tune, label, learn a reward, optimise against it.',
    minutes: 2,
    steps: [
      {
        title: 'Teach the model to answer',
        text:
          'The shipped base model only continues text. Supervised fine-tuning (SFT) shows it prompts with good answers, and it learns to answer in that shape. The SFT tab\'s "Train" button runs 200 steps on the built-in instruction rows; watch the loss fall and compare the samples before and after.',
        formulas: [F.sft],
        stage: 'sft',
        targets: ['sft-train', 'chart-sft-loss'],
        action: 'sft-train',
        settings: { from: 'base', max_steps: 200 },
        doLabel: 'Fine-tune for 200 steps',
      },
      LABEL_STEP,
      {
        title: 'Learn a reward model from the labels',
        text:
          'A reward model reads a story and gives it one number. It learns from the pairs: the preferred story should score higher than the other. The Reward model tab trains it on the newest labeled dataset; its held-out accuracy says how often it agrees with the labels it has not seen.',
        formulas: [F.bradleyTerry, F.rewardLoss],
        stage: 'reward',
        targets: ['reward-train', 'chart-reward-accuracy'],
        action: 'reward-train',
        settings: { max_steps: 40 },
        doLabel: 'Train the reward model',
      },
      {
        title: 'Improve the policy with PPO',
        text:
          'Now the fine-tuned model (the policy) writes stories, the reward model scores them, and PPO nudges the policy toward what scored well. A KL penalty (the "KL coefficient" setting on the Policy optimization tab) keeps it near where it started. The charts show the score rising and the KL it costs.',
        formulas: [F.klReward],
        stage: 'policy',
        targets: ['ppo.kl_coef', 'ppo-train'],
        action: 'ppo-train',
        settings: { max_steps: 30, rewardKind: 'model' },
        doLabel: 'Train PPO for 30 steps',
      },
    ],
  },
  {
    id: 'kl-penalty',
    title: 'Why the KL penalty',
    goal: 'Train PPO with and without the KL penalty and see what the penalty holds back.',
    minutes: 1,
    steps: [
      {
        title: 'The score, less a price for drifting',
        text:
          'PPO does not maximise the score alone. It subtracts beta times the KL divergence: how far the policy\'s word choices have moved from the model it started from (the reference). The Policy optimization tab calls beta the "KL coefficient" (TRL: kl_coef); with "Adaptive KL" on, it follows the measured KL toward a target.',
        formulas: [F.klReward, F.adaptiveKl],
        stage: 'policy',
        targets: ['ppo.kl_coef', 'ppo.adap_kl_ctrl'],
        action: 'select-stage',
      },
      {
        title: 'Train with the penalty',
        text:
          'This trains 30 PPO steps from your newest SFT model (the base model if there is none) with the gold score (the simulated annotator\'s own preference) as the reward and the KL penalty on. Watch two charts: the score, and objective/kl, the KL summed over each response\'s tokens.',
        formulas: [F.klEstimate],
        stage: 'policy',
        targets: ['ppo-train', 'chart-ppo-kl'],
        action: 'ppo-train',
        settings: { max_steps: 30, rewardKind: 'gold' },
        doLabel: 'Train PPO with the KL penalty',
      },
      {
        title: 'Train again without it',
        text:
          'Now the same run with a fixed KL coefficient of 0, the "Rerun with another KL setting" card below the charts. Both runs are drawn on the same charts. Nothing holds the policy near its start any more: the KL runs away, and the samples drift into whatever text the score happens to like.',
        formulas: [F.klZero],
        stage: 'policy',
        targets: ['ppo-rerun'],
        action: 'ppo-rerun-kl0',
        doLabel: 'Rerun without the KL penalty',
      },
      {
        title: 'Read the two runs',
        text:
          'Compare the two curves of objective/kl and of the score, then the samples of each run. The penalised run gains less score but keeps writing stories; the unpenalised one reaches a higher score with text a reader would not want. The penalty is the price that keeps the learned behaviour close to a model we trust.',
        formulas: [F.klReward],
        stage: 'policy',
        targets: ['chart-ppo-kl', 'chart-ppo-reward'],
        action: 'select-stage',
      },
    ],
  },
  {
    id: 'dpo',
    title: 'DPO without a reward model',
    goal: 'Train straight from the labeled pairs, with no reward model and no sampling.',
    minutes: 1,
    steps: [
      LABEL_STEP,
      {
        title: 'Train on the pairs directly',
        text:
          'DPO turns the reward-then-PPO recipe into one loss on the pairs: raise the probability of the preferred story relative to the reference model, lower the other one. "Beta" on the Direct preference tab sets how far the policy may move. This trains 40 steps with beta 0.1 on the newest labeled dataset.',
        formulas: [F.dpo],
        stage: 'dpo',
        targets: ['dpo.beta', 'dpo-train'],
        action: 'dpo-train',
        settings: { max_steps: 40, beta: 0.1 },
        doLabel: 'Train DPO for 40 steps',
      },
      {
        title: 'The reward hidden in the policy',
        text:
          'DPO never trains a reward model, yet its policy implies one: beta times the log-ratio of the policy to the reference. The charts rewards/chosen, rewards/rejected and rewards/margins (TRL\'s names) plot it; the margin should grow while the accuracy (how often the chosen story gets the higher implicit reward) rises.',
        formulas: [F.implicitReward],
        stage: 'dpo',
        targets: ['chart-dpo-rewards', 'chart-dpo-margins'],
        action: 'select-stage',
      },
      {
        title: 'A larger beta',
        text:
          'Run it again with beta 0.5. A larger beta makes the same log-ratio count for more, so the loss is satisfied with smaller moves: the policy stays nearer the reference. Compare the margins and samples of the two runs in the run history.',
        formulas: [F.dpo],
        stage: 'dpo',
        targets: ['dpo.beta', 'dpo-train'],
        action: 'dpo-train',
        settings: { max_steps: 40, beta: 0.5 },
        doLabel: 'Train DPO with beta 0.5',
      },
    ],
  },
  {
    id: 'reward-hacking',
    title: 'Reward hacking',
    goal: 'Optimise a reward with a loophole and watch the policy find it.',
    minutes: 2,
    steps: [
      {
        title: 'A reward with a loophole',
        text:
          'GRPO samples a group of completions per prompt and scores each with reward functions. happy_words counts happy words with no limit, which is a loophole: more is always better. GRPO then pushes up each completion by how much better it did than its group (its advantage), as on the GRPO & RLOO tab.',
        formulas: [F.grpoAdvantage],
        stage: 'grpo',
        targets: ['grpo-rewards'],
        action: 'select-stage',
      },
      {
        title: 'Optimise it with no KL penalty',
        text:
          'This is the "Reward hacking" button of the GRPO tab: 40 steps with happy_words and beta 0 (no KL term). The repetition penalty is charted with weight 0, never optimised, to measure the spam. Watch the samples turn into "kind nice kind kind".',
        formulas: [F.grpoObjective],
        stage: 'grpo',
        targets: ['grpo-hacking'],
        action: 'grpo-hacking',
        doLabel: 'Train with beta 0',
      },
      {
        title: 'Again with a KL penalty',
        text:
          'The same run with beta 0.1, the GRPO tab\'s "Beta" setting. The KL term makes every word that drifts from the reference cost something, so the policy adds a few happy words and keeps telling stories. Compare the KL and the repetition charts of the two runs.',
        formulas: [F.grpoObjective, F.klEstimate],
        stage: 'grpo',
        targets: ['grpo.beta', 'grpo-hacking'],
        action: 'grpo-hacking-beta',
        doLabel: 'Train with beta 0.1',
      },
    ],
  },
  {
    id: 'noisy-labels',
    title: 'Noisy labels',
    goal: 'Flip a share of the preference labels and compare the losses built for it.',
    minutes: 1,
    steps: [
      LABEL_STEP,
      {
        title: 'Flip 20% of the labels',
        text:
          'Real annotators disagree and make mistakes. The "Label noise" experiment on the Direct preference tab swaps chosen and rejected for a share of the training pairs (the same pairs for every run), then trains one DPO run per loss type: sigmoid (standard DPO), robust, IPO and label smoothing. This runs it with 20% flipped and 30 steps a run.',
        formulas: [F.flip, F.robust],
        stage: 'dpo',
        targets: ['noise-experiment'],
        action: 'noise-experiment',
        settings: { fraction: 0.2, max_steps: 30 },
        doLabel: 'Run the noise experiment',
      },
      {
        title: 'Which loss coped',
        text:
          'All four runs are drawn on the same charts. Standard DPO trusts every label and keeps pushing the margin on the flipped ones; robust DPO corrects for the known flip rate, and IPO aims the margin at a fixed target instead of pushing it forever. Compare the evaluation accuracy of the four curves.',
        formulas: [F.ipo],
        stage: 'dpo',
        targets: ['dpo-loss-types', 'noise-experiment'],
        action: 'select-stage',
      },
    ],
  },
  {
    id: 'overoptimization',
    title: 'Overoptimization',
    goal: 'Optimise a learned reward too hard and watch the true score rise, then fall.',
    minutes: 4,
    steps: [
      {
        title: 'A proxy is not the goal',
        text:
          'A reward model is only a proxy for what people want. Gao et al. (2022) found that optimising a proxy raises the true (gold) score at first, then lowers it as the policy moves further away. They measure the distance as the square root of the KL from the starting policy.',
        formulas: [F.sqrtKl],
        stage: 'grpo',
        targets: ['chart-overoptimization'],
        action: 'select-stage',
      },
      {
        title: 'Run the experiment',
        text:
          'This is the "Overoptimization" button of the GRPO tab: story pairs labeled by their endings alone train a proxy reward model, GRPO optimises the proxy with beta 0 for 100 steps while a fuller gold (happy ending, on topic, about 40 words) is logged, then the best-of-n baseline is measured. It takes three to four minutes.',
        formulas: [F.gaoRl],
        stage: 'grpo',
        targets: ['grpo-overopt'],
        action: 'grpo-overopt',
        doLabel: 'Run the overoptimization experiment',
      },
      {
        title: 'Read the curves',
        text:
          'The overoptimization chart plots proxy and gold against the square root of the KL, with best-of-n on the same axes. The proxy keeps rising; look for where the gold peaked and how far it fell. Best-of-n spends far less KL for its gain.',
        formulas: [F.gaoRl, F.gaoBon],
        stage: 'grpo',
        targets: ['chart-overoptimization'],
        action: 'select-stage',
      },
    ],
  },
];

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
