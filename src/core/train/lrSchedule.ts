/**
 * Learning rate at a step, as Hugging Face's get_scheduler computes it: linear warm-up from 0
 * over warmup_steps, then constant, linear decay to 0, or cosine decay to 0 at max_steps.
 */
import type { LrSchedulerType } from './pretrainConfig.ts';

export function learningRateAt(step: number, peak: number, type: LrSchedulerType, warmupSteps: number, maxSteps: number): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  if (type === 'constant') return peak;
  const progress = (step - warmupSteps) / Math.max(1, maxSteps - warmupSteps);
  if (type === 'linear') return peak * Math.max(0, 1 - progress);
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
