/** The RLHF pipeline as the page shows it, in order. */
export type StageId = 'pretrain' | 'sft' | 'preferences' | 'reward' | 'policy' | 'grpo' | 'dpo';

export interface Stage {
  id: StageId;
  title: string;
  /** One line under the tab. */
  tagline: string;
  /** False: the tab says "Coming later" (every stage is live today). */
  live: boolean;
}

export const STAGES: readonly Stage[] = [
  {
    id: 'pretrain',
    title: 'Pretrain',
    tagline: 'Learn language',
    live: true,
  },
  {
    id: 'sft',
    title: 'SFT',
    tagline: 'Follow instructions',
    live: true,
  },
  {
    id: 'preferences',
    title: 'Preferences',
    tagline: 'Pick the better answer',
    live: true,
  },
  {
    id: 'reward',
    title: 'Reward model',
    tagline: 'Score answers',
    live: true,
  },
  {
    id: 'policy',
    title: 'Policy optimization',
    tagline: 'Improve with rewards',
    live: true,
  },
  {
    id: 'grpo',
    title: 'GRPO & RLOO',
    tagline: 'Learn from reward functions',
    live: true,
  },
  {
    id: 'dpo',
    title: 'Direct preference',
    tagline: 'Learn from pairs directly',
    live: true,
  },
];
