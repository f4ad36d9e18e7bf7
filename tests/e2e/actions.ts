/** Page actions the e2e tests and the screenshot script share; controls are found by role and name. */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** Types into a labelled text box (replacing what was there). */
export async function fill(page: Page, label: string, value: string): Promise<void> {
  await page.getByRole('textbox', { name: label, exact: true }).fill(value);
}

/** The text of the elements a control's aria-describedby points at. */
export async function description(page: Page, label: string): Promise<string> {
  return page.getByRole('textbox', { name: label, exact: true }).evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );
}

/** The y values of the first trace (training loss) of a chart, as Plotly holds them. */
export async function chartValues(page: Page, chart: 'loss' | 'perplexity'): Promise<number[]> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
    return el?.data?.[0]?.y ?? [];
  }, chart);
}

export interface TinyRun {
  backend: 'wasm' | 'webgpu';
  steps: number;
  batch: number;
  model: { layers: number; width: number; heads: number; context: number };
  logEvery: number;
  evalEvery: number;
  sampleLength: number;
}

/** Sets up a tiny character-level run from scratch and trains it to the end. */
export async function trainTiny(page: Page, run: TinyRun): Promise<void> {
  await page.getByRole('radio', { name: /Built-in stories/ }).check();
  await fill(page, 'Number of stories', '300');
  await page.getByRole('radio', { name: /Character-level/ }).check();
  await page.getByRole('combobox', { name: 'Model size' }).selectOption('custom');
  await fill(page, 'Layers', String(run.model.layers));
  await fill(page, 'Width (n_embd)', String(run.model.width));
  await fill(page, 'Attention heads', String(run.model.heads));
  await fill(page, 'Context length', String(run.model.context));
  await fill(page, 'Learning rate', '0.01');
  await page.getByRole('combobox', { name: 'Learning-rate schedule' }).selectOption('constant');
  await fill(page, 'Warmup steps', '0');
  await fill(page, 'Batch size', String(run.batch));
  await fill(page, 'Training steps', String(run.steps));
  const advanced = page.locator('details.advanced', { hasText: 'Log every' });
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('summary').click();
  await fill(page, 'Log every (steps)', String(run.logEvery));
  await fill(page, 'Evaluate every (steps)', String(run.evalEvery));
  await fill(page, 'Sample every (steps)', String(run.evalEvery));
  await page.getByRole('slider', { name: /Length/ }).fill(String(run.sampleLength));
  await page.getByRole('combobox', { name: 'Backend' }).selectOption(run.backend);
  await page.getByRole('radio', { name: /Scratch/ }).check();

  const train = page.getByRole('button', { name: 'Train', exact: true });
  assert.equal(await train.isEnabled(), true, 'Train is enabled for a valid config');
  await train.click();
  await page.getByTestId('run-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 150_000 });
  const phase = await page.getByTestId('run-phase').textContent();
  const alert = await page.locator('.alert').allTextContents();
  assert.match(phase ?? '', /Finished/, `the run finished (${phase} ${alert.join(' ')})`);
}

/** Waits until a chart's traces hold these numbers of points, as Plotly holds them (charts redraw lazily). */
export async function waitForPoints(page: Page, chart: string, points: number[]): Promise<void> {
  await page.waitForFunction(
    ([id, want]) => {
      const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { y: number[] }[] }) | null;
      return JSON.stringify((el?.data ?? []).map((t) => t.y.length)) === JSON.stringify(want);
    },
    [chart, points] as const,
    { timeout: 10_000 },
  );
}

const PAIR_ANIMALS = ['cat', 'dog', 'fox', 'owl', 'bear', 'duck'];

/**
 * 24 TRL preference rows: the happy ending chosen, the sad one rejected. With `markup`, the first
 * prompt holds an HTML tag, which the page must show as text.
 */
export function happyPairsJsonl(markup = true): string {
  const lines: string[] = [];
  for (let i = 0; i < 24; i++) {
    const a = PAIR_ANIMALS[i % PAIR_ANIMALS.length];
    const prompt = markup && i === 0 ? `Write a story about a <b>${a}</b>.\n` : `Write a story about a ${a} (${i}).\n`;
    lines.push(JSON.stringify({ prompt, chosen: `The ${a} found the ball and was happy.`, rejected: `The ${a} lost the ball and was sad.` }));
  }
  return lines.join('\n') + '\n';
}

/** Imports a JSONL preference file as a new dataset on the Preferences tab; waits for its 24 records. */
export async function importPairs(page: Page, fileName: string, jsonl: string): Promise<void> {
  await page.getByRole('tab', { name: /Preferences/ }).click();
  await page.getByRole('combobox', { name: 'Import into' }).selectOption('new');
  await page.getByLabel(/Preference file/).setInputFiles({ name: fileName, mimeType: 'application/jsonl', buffer: Buffer.from(jsonl) });
  await page.getByTestId('import-status').getByText(`Imported 24 records from ${fileName}`).waitFor();
}

/** The names of a chart's traces, as Plotly holds them (live traces first, then earlier runs). */
export function traceNames(page: Page, chart: string): Promise<string[]> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-chart="${id}"]`) as (HTMLElement & { data?: { name: string }[] }) | null;
    return (el?.data ?? []).map((t) => t.name);
  }, chart);
}
