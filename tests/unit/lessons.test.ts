import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { defaultDpoRunConfig, validateDpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { defaultPpoRunConfig, validatePpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import { defaultRewardConfig } from '../../src/core/reward/rewardConfig.ts';
import { validateRewardConfig } from '../../src/core/reward/rewardValidate.ts';
import { defaultSftConfig, validateSftConfig } from '../../src/core/sft/sftConfig.ts';
import { LESSON_ACTIONS, LESSONS, lessonById, type LessonStep } from '../../src/lib/lessons.ts';
import { STAGES } from '../../src/lib/stages.ts';

const steps = LESSONS.flatMap((lesson) => lesson.steps.map((step) => ({ lesson, step })));

/** The step's settings that are fields of a stage config, applied over its defaults. */
function applied<C extends object>(defaults: C, step: LessonStep): C {
  const fields = Object.entries(step.settings ?? {}).filter(([key]) => key in defaults);
  return { ...defaults, ...Object.fromEntries(fields) };
}

describe('LESSONS', () => {
  it('has the six lessons of the issue, with unique ids that read in a link', () => {
    expect(LESSONS.map((l) => l.title)).toEqual(['Your first RLHF run', 'Why the KL penalty', 'DPO without a reward model', 'Reward hacking', 'Noisy labels', 'Overoptimization']);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    for (const lesson of LESSONS) {
      expect(lesson.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(lessonById(lesson.id)).toBe(lesson);
    }
    expect(lessonById('nope')).toBeUndefined();
  });

  it('gives every lesson a goal, a time and 3 to 6 steps', () => {
    for (const lesson of LESSONS) {
      expect(lesson.goal.length).toBeGreaterThan(10);
      expect(lesson.minutes).toBeGreaterThan(0);
      expect(lesson.steps.length).toBeGreaterThanOrEqual(3);
      expect(lesson.steps.length).toBeLessThanOrEqual(6);
    }
  });

  it('gives every step a title, a paragraph, a known stage and a known action', () => {
    const stageIds = STAGES.map((s) => s.id as string);
    for (const { step } of steps) {
      expect(step.title.length).toBeGreaterThan(3);
      expect(step.text.length).toBeGreaterThan(80);
      expect(step.text).not.toContain('\n');
      expect(stageIds).toContain(step.stage);
      expect(LESSON_ACTIONS).toContain(step.action);
    }
  });

  it('names a button for every step that trains', () => {
    for (const { step } of steps) if (step.action !== 'select-stage') expect(step.doLabel).toBeTruthy();
  });

  it('shows at least one formula in every lesson', () => {
    for (const lesson of LESSONS) expect(lesson.steps.some((s) => (s.formulas ?? []).length > 0)).toBe(true);
  });

  it('has formulas KaTeX parses strictly, with MathML that keeps the source', () => {
    for (const { step } of steps) {
      for (const formula of step.formulas ?? []) {
        const html = katex.renderToString(formula.tex, { throwOnError: true, output: 'htmlAndMathml', displayMode: true });
        expect(html).toContain('<annotation encoding="application/x-tex">');
        expect(formula.label.length).toBeGreaterThan(5);
      }
    }
  });

  it('applies settings the stage validators accept, kept small', () => {
    for (const { step } of steps) {
      const s = step.settings ?? {};
      if (step.action === 'sft-train') expect(validateSftConfig(applied(defaultSftConfig(), step))).toEqual([]);
      if (step.action === 'reward-train') expect(validateRewardConfig(applied(defaultRewardConfig(), step))).toEqual([]);
      if (step.action === 'ppo-train') {
        expect(validatePpoRunConfig(applied(defaultPpoRunConfig(), step))).toEqual([]);
        expect(['gold', 'model']).toContain(s.rewardKind);
      }
      if (step.action === 'dpo-train' || step.action === 'noise-experiment') expect(validateDpoRunConfig(applied(defaultDpoRunConfig(), step))).toEqual([]);
      if (typeof s.max_steps === 'number') expect(s.max_steps).toBeLessThanOrEqual(200);
      if (step.action === 'noise-experiment') expect(s.fraction).toBeGreaterThan(0);
      if (step.action === 'simulate-labels') expect(s.prompts).toBeLessThanOrEqual(50);
    }
  });

  it('reuses the existing lessons of the GRPO and DPO tabs and the PPO rerun', () => {
    const actions = new Set(steps.map(({ step }) => step.action));
    for (const action of ['grpo-hacking', 'grpo-hacking-beta', 'grpo-overopt', 'noise-experiment', 'ppo-rerun-kl0']) expect(actions).toContain(action);
  });
});
