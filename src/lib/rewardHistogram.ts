/**
 * Histograms of held-out rewards, chosen against rejected: both binned over one shared range so
 * the bars line up; RewardHistogram.svelte draws them as two overlaid Plotly bar traces. A reward
 * model that has learned the preference pulls the two piles apart.
 *
 * Binned here, not by Plotly's histogram trace: the bins are plain numbers that unit tests check
 * and the e2e tests read back from the chart (`el.data[i].y`: the counts), and Plotly then draws
 * 2 x 20 bars instead of binning every value at every redraw.
 */
import type { PlotTrace } from 'plotly.js-dist-min';

export interface Bins {
  /** Bin centres. */
  centers: number[];
  width: number;
}

/** `count` equal bins covering every value (one unit wide around a single value). */
export function sharedBins(values: readonly number[], count: number): Bins {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { centers: [], width: 1 };
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / count;
  return { centers: Array.from({ length: count }, (_, i) => lo + (i + 0.5) * width), width };
}

/** How many values fall in each bin; the top edge belongs to the last bin. */
export function binCounts(values: readonly number[], bins: Bins): number[] {
  const counts = new Array<number>(bins.centers.length).fill(0);
  if (!counts.length) return counts;
  const lo = bins.centers[0] - bins.width / 2;
  for (const v of values) counts[Math.min(counts.length - 1, Math.max(0, Math.floor((v - lo) / bins.width)))]++;
  return counts;
}

export const HISTOGRAM_COLORS = { chosen: '#16a34a', rejected: '#dc2626' };

/** One histogram: bar centres (x) and counts (y). */
export interface HistogramSeries {
  name: 'chosen' | 'rejected';
  color: string;
  x: number[];
  y: number[];
}

export function rewardHistograms(chosen: readonly number[], rejected: readonly number[], count = 20): { bins: Bins; series: HistogramSeries[] } {
  const bins = sharedBins([...chosen, ...rejected], count);
  return {
    bins,
    series: [
      { name: 'chosen', color: HISTOGRAM_COLORS.chosen, x: bins.centers, y: binCounts(chosen, bins) },
      { name: 'rejected', color: HISTOGRAM_COLORS.rejected, x: bins.centers, y: binCounts(rejected, bins) },
    ],
  };
}

/** The two histograms as overlaid, half-transparent Plotly bars, one bin wide. */
export function histogramTraces(hist: { bins: Bins; series: HistogramSeries[] }): PlotTrace[] {
  return hist.series.map((s) => ({
    type: 'bar',
    name: s.name,
    x: s.x,
    y: s.y,
    width: hist.bins.width,
    opacity: 0.55,
    marker: { color: s.color },
    hovertemplate: '%{y}',
  }));
}
