/**
 * The GRPO tab's two lessons, each a button that sets the form and trains, so a class sees the
 * effect in a minute or two:
 *
 * Reward hacking: the policy optimises happy_words, a reward that counts happy words with no limit,
 * with no KL term (beta 0). It learns to spam "kind nice kind kind". The repetition penalty rides
 * along with weight 0 (charted, never optimised) to measure the spam. "Again with a KL penalty"
 * reruns it with beta > 0, which keeps the policy near its start, and the stories stay stories.
 *
 * Overoptimization (Gao et al. 2022), the recipe in src/core/grpo/overoptimizationLesson.ts: comparisons
 * sampled from the policy are labeled by their endings, a reward model learns them (the proxy, saved as
 * a Reward model run), GRPO optimises it with the fuller gold logged, then the best-of-n baseline is
 * measured on the same axes.
 */
import * as Comlink from 'comlink';
import { instructionPrompts } from '../core/data/instructions.ts';
import { defaultGrpoConfig } from '../core/grpo/grpoConfig.ts';
import { labelByGold, OVEROPT_LESSON } from '../core/grpo/overoptimizationLesson.ts';
import type { PreferencePair } from '../core/preferences/types.ts';
import { DEFAULT_SAMPLING } from '../core/train/defaults.ts';
import { engine } from '../lib/engine.ts';
import { backend } from './backend.svelte.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { builtinChoice } from './grpoRewardChoices.ts';
import { grpoRun } from './grpoRun.svelte.ts';
import { loadModelSource, runSourceKey } from './modelSources.ts';
import { overoptimization } from './overoptimization.svelte.ts';
import { rewardRun } from './rewardRun.svelte.ts';

export { OVEROPT_LESSON } from '../core/grpo/overoptimizationLesson.ts';

/** Reward hacking: steps, and the KL weight of the rerun. */
export const HACKING_LESSON = { max_steps: 40, beta: 0.1 } as const;

export type LessonPhase = 'idle' | 'labeling' | 'proxy' | 'training' | 'baseline' | 'done';

const PHASE_WORDS: Record<LessonPhase, string> = {
  idle: '',
  labeling: 'Step 1 of 4: sampling story pairs from the policy and labeling them by their endings…',
  proxy: 'Step 2 of 4: training the proxy reward model on those labels (see the Reward model tab)…',
  training: 'Step 3 of 4: GRPO against the proxy, with the full gold score logged…',
  baseline: 'Step 4 of 4: best-of-n from the starting policy, ranked by the proxy…',
  done: 'Done: the proxy rose all the way; look for where the gold score peaked.',
};

class GrpoLessonsState {
  phase = $state<LessonPhase>('idle');
  progress = $state('');
  message = $state<string | null>(null);

  busy = $derived(this.phase !== 'idle' && this.phase !== 'done');
  status = $derived(this.progress ? `${PHASE_WORDS[this.phase]} ${this.progress}` : PHASE_WORDS[this.phase]);

  /** Reward hacking, with `beta` (0 first, then HACKING_LESSON.beta). */
  async rewardHacking(beta: number): Promise<void> {
    if (this.busy || grpoRun.live) return;
    this.message = null;
    grpoForm.load({ ...defaultGrpoConfig('grpo'), method: 'grpo', source: grpoForm.source, max_steps: HACKING_LESSON.max_steps, beta });
    grpoForm.setRewards([builtinChoice('happy_words', 1), builtinChoice('repetition', 0)]);
    await grpoRun.train();
  }

  /** The whole overoptimization experiment, from labels to the best-of-n baseline. */
  async overoptimization(): Promise<void> {
    if (this.busy || grpoRun.live || rewardRun.live) return;
    const source = grpoForm.source;
    if (!source) return;
    this.message = null;
    try {
      this.phase = 'labeling';
      const pairs = await this.#labeledPairs(source);
      this.phase = 'proxy';
      this.progress = '';
      const proxyId = await rewardRun.trainOnPairs({
        pairs,
        source,
        name: `Proxy for the overoptimization lesson · ${pairs.length} pairs labeled by their endings`,
        goldSpec: OVEROPT_LESSON.labelGold,
        settings: { lesson: 'overoptimization' },
      });
      if (proxyId === null) throw new Error(rewardRun.message ?? 'the proxy reward model did not finish.');
      this.phase = 'training';
      grpoForm.load({ ...defaultGrpoConfig('grpo'), ...OVEROPT_LESSON.grpo, method: 'grpo', source });
      grpoForm.setRewards([{ kind: 'model', source: runSourceKey(proxyId), weight: 1 }]);
      grpoForm.goldOverride = { spec: OVEROPT_LESSON.gold, why: 'the overoptimization lesson' };
      await grpoRun.train();
      if (grpoRun.phase !== 'finished') throw new Error(grpoRun.message ?? 'the GRPO run did not finish.');
      this.phase = 'baseline';
      await overoptimization.measure();
      if (overoptimization.message) throw new Error(overoptimization.message);
      this.phase = 'done';
    } catch (error) {
      this.message = `The lesson stopped: ${error instanceof Error ? error.message : String(error)}`;
      this.phase = 'idle';
    } finally {
      this.progress = '';
    }
  }

  /** Comparisons of two stories per request sampled from the policy, labeled by the ending alone (ties skipped). */
  async #labeledPairs(source: Parameters<typeof loadModelSource>[0]): Promise<PreferencePair[]> {
    const from = await loadModelSource(source);
    await backend.ensure();
    const generated = await engine.generateComparisons(
      Comlink.transfer({ from: from.files, prompts: instructionPrompts(OVEROPT_LESSON.comparisons, OVEROPT_LESSON.seed, 'topic'), completions: 2, sampling: DEFAULT_SAMPLING, seed: OVEROPT_LESSON.seed }, [from.files.model]),
      Comlink.proxy((done: number, total: number) => (this.progress = `${done} of ${total}`)),
    );
    const pairs = labelByGold(generated, OVEROPT_LESSON.labelGold, OVEROPT_LESSON.pairs);
    if (pairs.length < 10) throw new Error(`only ${pairs.length} of the sampled pairs differ in their endings; train the policy with SFT first.`);
    return pairs;
  }
}

export const grpoLessons = new GrpoLessonsState();
