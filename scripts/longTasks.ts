/**
 * Main-thread long tasks (> 50 ms) while the app trains: a real run in the real page (default
 * corpus, tokenizer and model; wasm backend), with charts and samples updating as a user sees them.
 */
import type { BrowserContext } from 'playwright-core';
import { fill } from '../tests/e2e/actions.ts';

export async function countLongTasksWhileTraining(context: BrowserContext, url: string, steps = 150): Promise<Record<string, unknown>> {
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[]; __longFrames: string[] };
    w.__longTasks = [];
    w.__longFrames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
    // What ran in each long frame (script entry points, their source and time): the count says
    // whether there is jank, this says where it came from.
    type Script = { invoker: string; sourceFunctionName: string; sourceURL: string; duration: number; forcedStyleAndLayoutDuration: number };
    type Frame = PerformanceEntry & { blockingDuration: number; renderStart: number; styleAndLayoutStart: number; scripts: Script[] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Frame[]) {
        if (e.duration <= 50) continue;
        const scripts = [...e.scripts].sort((a, b) => b.duration - a.duration).slice(0, 3)
          .map((s) => `${s.invoker} ${s.sourceFunctionName || '?'}@${s.sourceURL.split('/').at(-1)} ${Math.round(s.duration)}ms (layout ${Math.round(s.forcedStyleAndLayoutDuration)}ms)`);
        const render = e.renderStart ? Math.round(e.startTime + e.duration - e.renderStart) : 0;
        w.__longFrames.push(`${Math.round(e.duration)}ms (blocking ${Math.round(e.blockingDuration)}ms, render ${render}ms): ${scripts.join('; ')}`);
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  });
  await page.goto(url);
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await train.waitFor();
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('wasm');
  await fill(page, 'Training steps', String(steps));
  const advanced = page.locator('details.advanced', { hasText: 'Log every' });
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('summary').click();
  await fill(page, 'Log every (steps)', '5');
  await fill(page, 'Evaluate every (steps)', '50');
  await fill(page, 'Sample every (steps)', '50');
  await page.waitForTimeout(500);
  const before = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.length);
  const framesBefore = await page.evaluate(() => (window as unknown as { __longFrames: string[] }).__longFrames.length);
  const pageT0 = await page.evaluate(() => performance.now());
  const t0 = Date.now();
  await train.click();
  await page.getByTestId('run-phase').filter({ hasText: /Finished|Failed|Stopped/ }).waitFor({ timeout: 300_000 });
  const seconds = (Date.now() - t0) / 1000;
  const tasks = await page.evaluate((n) => (window as unknown as { __longTasks: number[] }).__longTasks.slice(n), before);
  const frames = await page.evaluate((n) => (window as unknown as { __longFrames: string[] }).__longFrames.slice(n), framesBefore);
  // Each chart redraw's cost (lib/plot.ts's `chart <id>` user-timing measures), over the run.
  // (detail.kind: 'lines' when only the traces were redrawn, 'full' for a whole Plotly.react.)
  const redraws = await page.evaluate(
    (since) => (performance.getEntriesByType('measure') as PerformanceMeasure[]).filter((m) => m.name.startsWith('chart ') && m.startTime >= since).map((m) => ({ ms: m.duration, kind: String((m.detail as { kind?: string } | null)?.kind ?? 'full') })),
    pageT0,
  );
  const stats = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 10) / 10 : 0);
    return { count: sorted.length, median: q(0.5), p90: q(0.9), max: q(1) };
  };
  const chartRedrawMs = { all: stats(redraws.map((r) => r.ms)), ...Object.fromEntries([...new Set(redraws.map((r) => r.kind))].map((k) => [k, stats(redraws.filter((r) => r.kind === k).map((r) => r.ms))])) };
  const phase = await page.getByTestId('run-phase').textContent();
  await page.close();
  return { measure: 'main-thread long tasks while training', backend: 'wasm', steps, status: phase, seconds: Math.round(seconds * 10) / 10, longTasksOver50ms: tasks.length, longestMs: tasks.length ? Math.max(...tasks) : 0, chartRedrawMs, ...(frames.length ? { longFrames: frames.slice(0, 5) } : {}) };
}
