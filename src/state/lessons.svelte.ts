/**
 * The guided lesson on screen (src/lib/lessons.ts holds the lessons): whether the panel is open,
 * which lesson and step, moving between steps (each shows its tab), and "Do this step", which
 * applies the step's settings and calls what the tab's own buttons call. The link keeps the
 * lesson and step: src/state/urlConfig.svelte.ts reads `lesson` and `step` from here.
 */
import { defaultDpoRunConfig } from '../core/dpo/dpoConfig.ts';
import { defaultPpoRunConfig } from '../core/ppo/ppoRunConfig.ts';
import { defaultRewardConfig } from '../core/reward/rewardConfig.ts';
import type { RunStage } from '../lib/db.ts';
import { lessonById, LESSONS, type Lesson, type LessonAction, type LessonStep, type StepSettings } from '../lib/lessons.ts';
import { dpoForm } from './dpoForm.svelte.ts';
import { dpoRun } from './dpoRun.svelte.ts';
import { grpoForm } from './grpoForm.svelte.ts';
import { grpoLessons, HACKING_LESSON } from './grpoLessons.svelte.ts';
import { grpoRun } from './grpoRun.svelte.ts';
import { history } from './history.svelte.ts';
import { newestCheckpointKey, type ModelSourceKey } from './modelSources.ts';
import { noiseExperiment } from './noiseExperiment.svelte.ts';
import { ppoCompare } from './ppoCompare.svelte.ts';
import { ppoForm } from './ppoForm.svelte.ts';
import { ppoRun } from './ppoRun.svelte.ts';
import { generate } from './preferenceGenerate.svelte.ts';
import { preferences } from './preferences.svelte.ts';
import { simulator } from './preferenceSimulator.svelte.ts';
import { rewardForm } from './rewardForm.svelte.ts';
import { rewardRun } from './rewardRun.svelte.ts';
import { sftDatasets } from './sftDatasets.svelte.ts';
import { sftForm, sftRun } from './sftForm.svelte.ts';
import { stages } from './stages.svelte.ts';
import type { TrainingRunState } from './trainingRun.svelte.ts';

/** The newest stored run of a stage that kept a checkpoint, as a model picker's key. */
async function newestCheckpoint(stage: RunStage): Promise<ModelSourceKey | undefined> {
  await history.refresh();
  return newestCheckpointKey(history.runs, stage) ?? undefined;
}

/** Puts a stage's newest finished run on screen, as its history's "Open" does; nothing when it has none. */
async function openNewestFinished(run: TrainingRunState): Promise<void> {
  await history.refresh();
  const newest = run.runs.find((r) => r.status === 'finished' && r.id !== undefined);
  if (newest) await run.open(newest.id!);
}

/** The step's settings that are fields of `defaults` (the rest belong to the action). */
function configFields<C extends object>(defaults: C, settings: StepSettings): Partial<C> {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => key in defaults)) as Partial<C>;
}

/** Throws the form's first problem, in the tab's words, when it cannot train. */
function requireValid(valid: boolean, what: string, errors: readonly { field: string; message: string }[]): void {
  if (!valid) throw new Error(`${what} cannot start yet: ${errors.map((e) => `${e.field} ${e.message}`).join('; ') || 'its data is still loading'}.`);
}

/** Preference datasets in the forms, with the newest (the lesson's labels) chosen. */
async function chooseNewestPairs(form: typeof rewardForm | typeof dpoForm): Promise<void> {
  await form.refresh();
  await form.chooseDataset(form.datasets[0]?.id ?? null);
}

/** What each action does: the settings applied, then the existing state method. */
const ACTIONS: Record<LessonAction, (settings: StepSettings) => Promise<void>> = {
  'select-stage': async () => {},
  'sft-train': async (settings) => {
    await sftDatasets.load();
    // A fresh browser has no SFT dataset yet: the tab's "Build" with its defaults makes the built-in one.
    if (!sftDatasets.current) await sftDatasets.buildBuiltin();
    sftForm.load(settings);
    requireValid(sftForm.valid, 'SFT', sftForm.errors);
    await sftForm.start();
  },
  'simulate-labels': async (settings) => {
    generate.form.source = 'base';
    if (typeof settings.prompts === 'number') generate.form.prompts = settings.prompts;
    if (typeof settings.completions === 'number') generate.form.completions = settings.completions;
    const before = preferences.dataset?.id;
    await generate.generate();
    if (generate.message) throw new Error(generate.message);
    if (!preferences.dataset || preferences.dataset.id === before) throw new Error('no new comparisons were made.');
    simulator.count = preferences.comparisons.length;
    await simulator.labelNext();
  },
  'reward-train': async (settings) => {
    await chooseNewestPairs(rewardForm);
    rewardForm.load({ ...defaultRewardConfig(), ...configFields(defaultRewardConfig(), settings) });
    requireValid(rewardForm.valid, 'The reward model', rewardForm.errors);
    await rewardRun.train();
  },
  'ppo-train': async (settings) => {
    const source = (await newestCheckpoint('sft')) ?? 'base';
    const rewardSource = settings.rewardKind === 'model' ? await newestCheckpoint('reward') : undefined;
    if (settings.rewardKind === 'model' && !rewardSource) throw new Error('train a reward model first (the step before).');
    ppoForm.load({ ...configFields(defaultPpoRunConfig(), settings), source, rewardKind: settings.rewardKind ?? 'gold', rewardSource });
    requireValid(ppoForm.valid, 'PPO', ppoForm.errors);
    await ppoRun.train();
  },
  'ppo-rerun-kl0': async () => {
    // Coming back later (a reload, another tab first): the newest finished PPO run is the one to rerun.
    if (!ppoRun.record && !ppoRun.live) await openNewestFinished(ppoRun);
    if (!ppoRun.record) throw new Error('there is no finished PPO run to rerun: train one first (the step before).');
    // As the tab's rerun card does: the run on screen stays on the charts beside the new one.
    if (ppoRun.id !== null) await ppoCompare.show(ppoRun.id, true, ppoRun.metrics);
    await ppoRun.rerunWith({ kl_coef: 0, adap_kl_ctrl: false });
  },
  'dpo-train': async (settings) => {
    await chooseNewestPairs(dpoForm);
    dpoForm.load({ ...configFields(defaultDpoRunConfig(), settings), source: (await newestCheckpoint('sft')) ?? 'base' });
    await dpoForm.countPairs();
    requireValid(dpoForm.valid, 'DPO', dpoForm.errors);
    await dpoRun.train();
  },
  'noise-experiment': async (settings) => {
    await chooseNewestPairs(dpoForm);
    dpoForm.load({ ...configFields(defaultDpoRunConfig(), settings), source: (await newestCheckpoint('sft')) ?? 'base' });
    await dpoForm.countPairs();
    if (typeof settings.fraction === 'number') noiseExperiment.fraction = settings.fraction;
    if (noiseExperiment.blocked) throw new Error(noiseExperiment.blocked);
    await noiseExperiment.run();
    if (!noiseExperiment.message.startsWith('Finished')) throw new Error(noiseExperiment.message || 'the experiment did not finish.');
  },
  'grpo-hacking': async () => {
    await grpoForm.refresh();
    await grpoLessons.rewardHacking(0);
  },
  'grpo-hacking-beta': async () => {
    await grpoForm.refresh();
    await grpoLessons.rewardHacking(HACKING_LESSON.beta);
  },
  'grpo-overopt': async () => {
    await grpoForm.refresh();
    await grpoLessons.overoptimization();
    if (grpoLessons.phase !== 'done') throw new Error(grpoLessons.message ?? 'the experiment did not finish.');
  },
};

/** The run each training action starts, to tell whether it finished. */
const RUN_OF: Partial<Record<LessonAction, { phase: string; message: string | null }>> = {
  'sft-train': sftRun,
  'reward-train': rewardRun,
  'ppo-train': ppoRun,
  'ppo-rerun-kl0': ppoRun,
  'dpo-train': dpoRun,
  'grpo-hacking': grpoRun,
  'grpo-hacking-beta': grpoRun,
};

class LessonsState {
  /** Whether the Lessons panel is shown. */
  open = $state(false);
  /** The lesson being followed; null: the panel lists the lessons. */
  lessonId = $state<string | null>(null);
  /** The current step, from 0. */
  index = $state(0);
  /** True while "Do this step" runs (a training can take a minute). */
  doing = $state(false);
  /** How the last "Do this step" ended, in words. */
  message = $state('');

  lesson = $derived<Lesson | undefined>(this.lessonId ? lessonById(this.lessonId) : undefined);
  step = $derived<LessonStep | undefined>(this.lesson?.steps[this.index]);
  /** Why "Do this step" cannot run now; '' when it can. */
  blocked = $derived.by((): string => {
    if (this.doing) return 'This step is running.';
    if ([sftRun, rewardRun, ppoRun, dpoRun, grpoRun].some((r) => r.live) || noiseExperiment.running || grpoLessons.busy) return 'A run is training; wait for it to end.';
    return '';
  });

  readonly lessons = LESSONS;

  toggle(): void {
    this.open = !this.open;
  }

  /** Closes the panel and leaves the lesson (the link no longer names it). */
  close(): void {
    this.open = false;
    this.lessonId = null;
    this.index = 0;
    this.message = '';
  }

  /** Starts a lesson at a step (from 0), showing the step's tab. */
  choose(id: string, index = 0): void {
    const lesson = lessonById(id);
    if (!lesson) return;
    this.open = true;
    this.lessonId = id;
    this.goTo(index);
  }

  /** Back to the list of lessons. */
  list(): void {
    this.lessonId = null;
    this.index = 0;
    this.message = '';
  }

  /** The lesson and step a link names (the link's own stage stands). */
  restore(id: string, index: number): void {
    if (!lessonById(id)) return;
    this.open = true;
    this.lessonId = id;
    this.index = index;
  }

  goTo(index: number): void {
    const lesson = this.lesson;
    if (!lesson || index < 0 || index >= lesson.steps.length) return;
    this.index = index;
    this.message = '';
    stages.select(lesson.steps[index].stage);
  }

  next(): void {
    this.goTo(this.index + 1);
  }

  back(): void {
    this.goTo(this.index - 1);
  }

  /** Shows the step's tab, applies its settings and runs its action. */
  async doStep(): Promise<void> {
    const step = this.step;
    if (!step || this.blocked) return;
    stages.select(step.stage);
    this.doing = true;
    this.message = '';
    // The reader may move on while it trains: the outcome is shown only on the step it belongs to.
    const say = (text: string) => {
      if (this.step === step) this.message = text;
    };
    try {
      await ACTIONS[step.action](step.settings ?? {});
      const run = RUN_OF[step.action];
      if (run && run.phase !== 'finished') throw new Error(run.message ?? `the run ended ${run.phase === 'stopped' ? 'when it was stopped' : 'without finishing'}.`);
      say(step.action === 'select-stage' ? '' : 'This step has run: its tab shows the charts and samples. Go on with Next.');
    } catch (error) {
      say(`This step stopped: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.doing = false;
    }
  }
}

export const lessons = new LessonsState();
