import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { defaultDpoRunConfig, validateDpoRunConfig } from '../../src/core/dpo/dpoConfig.ts';
import { defaultPpoRunConfig, validatePpoRunConfig } from '../../src/core/ppo/ppoRunConfig.ts';
import { defaultRewardConfig } from '../../src/core/reward/rewardConfig.ts';
import { validateRewardConfig } from '../../src/core/reward/rewardValidate.ts';
import { defaultSftConfig, validateSftConfig } from '../../src/core/sft/sftConfig.ts';
import { isSettingTarget, LESSON_ACTIONS, LESSON_TARGETS, LESSONS, lessonById, targetSelector, type LessonStep, type LessonTarget } from '../../src/lib/lessons.ts';
import { STAGES } from '../../src/lib/stages.ts';
import { decodeUrlConfig, prefixOf } from '../../src/lib/urlConfig.ts';

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

// ---- the controls the steps point at --------------------------------------------------------------

const COMPONENTS = join(import.meta.dirname, '../../src/components');

/** Every .svelte file under src/components, by path. */
function svelteSources(dir = COMPONENTS): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [p, text] of svelteSources(path)) files.set(p, text);
    else if (entry.name.endsWith('.svelte')) files.set(path, text(path));
  }
  return files;
}
const text = (path: string) => readFileSync(path, 'utf8');
const sources = svelteSources();

/** The values a component's tags give one attribute across the sources: `<MetricChart ... id="ppo-kl"` gives 'ppo-kl'. */
function attributeValues(component: string, attribute: string): string[] {
  const values: string[] = [];
  for (const source of sources.values()) {
    for (const tag of source.matchAll(new RegExp(`<${component}\\b`, 'g'))) {
      // The tag's attributes end at the first '/>' or '>' on a line of its own (attribute values hold arrows).
      const rest = source.slice(tag.index);
      const end = rest.search(/\/>|\n\s*>/);
      const value = new RegExp(`\\b${attribute}="([^"{}]+)"`).exec(rest.slice(0, end))?.[1];
      if (value) values.push(value);
    }
  }
  return values;
}

/** Components that hand their props on to another, whose users give that one's props too. */
const PASSED_ON: Record<string, string[]> = { MetricChart: ['TrainEvalChart'] };

/**
 * The data-lesson-target values the components render: literal ones, and those templated from a
 * prop (TrainingControls' "{prefix}-train", MetricChart's "chart-{id}") expanded with the values
 * the components' users give that prop.
 */
function renderedLessonTargets(): Set<string> {
  const rendered = new Set<string>();
  for (const [path, source] of sources) {
    const component = path.split('/').at(-1)!.replace('.svelte', '');
    for (const [, value] of source.matchAll(/data-lesson-target="([^"]+)"/g)) {
      const prop = /\{(\w+)\}/.exec(value)?.[1];
      if (!prop) rendered.add(value);
      else {
        const users = [component, ...(PASSED_ON[component] ?? [])];
        for (const given of users.flatMap((c) => attributeValues(c, prop))) rendered.add(value.replace(`{${prop}}`, given));
      }
    }
  }
  return rendered;
}

/** The settings keys the components give their fields (urlKey="ppo.kl_coef") or render themselves (data-setting="..."). */
function renderedSettings(): Set<string> {
  const rendered = new Set<string>();
  for (const source of sources.values()) for (const [, key] of source.matchAll(/(?:urlKey|data-setting)="([a-z_]+\.[a-z_.]+)"/g)) rendered.add(key);
  return rendered;
}

describe('lesson targets', () => {
  const keys = Object.keys(LESSON_TARGETS) as LessonTarget[];

  it('names at least one known control and one formula for every step', () => {
    for (const { step } of steps) {
      expect(step.targets.length).toBeGreaterThan(0);
      for (const key of step.targets) expect(keys).toContain(key);
      expect((step.formulas ?? []).length).toBeGreaterThan(0);
    }
  });

  it('has settings the link knows, on the tab of the step that names them', () => {
    for (const key of keys.filter(isSettingTarget)) {
      // A known setting with a value that cannot parse is ignored for its value, not as an unknown setting.
      const why = decodeUrlConfig(`${key}=%E2%80%A6`).ignored.map((i) => i.why);
      expect(why, key).not.toContain('unknown setting');
    }
    for (const { step } of steps) {
      for (const key of step.targets.filter(isSettingTarget)) expect(key.split('.')[0], `${step.title}: ${key}`).toBe(prefixOf(step.stage));
    }
  });

  it('names only controls the components render, each field with its setting as data-setting', () => {
    for (const field of ['common/NumberField.svelte', 'common/SelectField.svelte', 'common/Choice.svelte', 'grpo/CheckField.svelte']) {
      expect(text(join(COMPONENTS, field)), field).toContain('data-setting={urlKey}');
    }
    const settings = renderedSettings();
    const controls = renderedLessonTargets();
    for (const key of keys) {
      if (isSettingTarget(key)) expect(settings, key).toContain(key);
      else expect(controls, key).toContain(key);
    }
    // The expansion works: a Train row per stage and a chart per MetricChart id.
    expect(controls).toContain('grpo-train');
    expect(controls).toContain('chart-dpo-loss');
  });

  it('uses every known key in some step, each with words and a selector', () => {
    const used = new Set(steps.flatMap(({ step }) => step.targets));
    for (const key of keys) {
      expect(used, key).toContain(key);
      expect(LESSON_TARGETS[key].length).toBeGreaterThan(3);
    }
    expect(targetSelector('ppo.kl_coef')).toBe('[data-setting="ppo.kl_coef"]');
    expect(targetSelector('ppo-train')).toBe('[data-lesson-target="ppo-train"]');
  });
});
