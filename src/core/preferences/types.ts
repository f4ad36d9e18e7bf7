/**
 * Preference data as the reward model and the DPO family consume it, in TRL's shape:
 * a prompt with a chosen and a rejected completion (and a margin when the labeler gave one).
 */
export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** How much better `chosen` is (TRL's optional `margin` column); absent when unknown. */
  margin?: number;
  /** Who said so: an annotator's name, or the simulated annotator's. */
  annotator?: string;
  /** Known attributes of the prompt (animal, mood, ...) when it came from the story corpus. */
  attributes?: Record<string, string>;
}
