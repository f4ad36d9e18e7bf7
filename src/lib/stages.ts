/** The RLHF pipeline as the page shows it, in order. */
export type StageId = 'pretrain' | 'sft' | 'preferences' | 'reward' | 'policy';

export interface Stage {
  id: StageId;
  title: string;
  /** One line under the tab. */
  tagline: string;
  /** What the stage does, in a sentence a student understands. */
  summary: string;
  live: boolean;
}

export const STAGES: readonly Stage[] = [
  {
    id: 'pretrain',
    title: 'Pretrain',
    tagline: 'Learn language',
    summary: 'A tiny GPT reads a pile of text and learns to predict the next token, one small step at a time.',
    live: true,
  },
  {
    id: 'sft',
    title: 'SFT',
    tagline: 'Follow instructions',
    summary: 'Supervised fine-tuning shows the pretrained model example requests with good answers, so it learns to respond to a prompt instead of just continuing text.',
    live: true,
  },
  {
    id: 'preferences',
    title: 'Preferences',
    tagline: 'Pick the better answer',
    summary: 'For pairs of answers to the same prompt, you (or a rule) choose which one is better; those choices are the human feedback in RLHF.',
    live: true,
  },
  {
    id: 'reward',
    title: 'Reward model',
    tagline: 'Score answers',
    summary: 'A reward model learns from the preference pairs to give the chosen answer a higher score than the rejected one.',
    live: true,
  },
  {
    id: 'policy',
    title: 'Policy optimization',
    tagline: 'Improve with rewards',
    summary: 'The model writes answers, a reward (the reward model or the gold score) scores them, and PPO nudges the model toward higher scores while a KL penalty keeps it close to where it started.',
    live: true,
  },
];
