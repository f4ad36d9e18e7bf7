/** The few Plotly calls the charts use (plotly.js-dist-min ships no types). */
declare module 'plotly.js-dist-min' {
  export interface PlotTrace {
    x: number[];
    y: number[];
    name?: string;
    type?: 'scatter';
    mode?: 'lines' | 'markers' | 'lines+markers';
    line?: { color?: string; width?: number; dash?: string };
    marker?: { size?: number; color?: string };
  }
  export type PlotLayout = Record<string, unknown>;
  export type PlotConfig = Record<string, unknown>;
  export interface PlotlyStatic {
    react(el: HTMLElement, data: PlotTrace[], layout?: PlotLayout, config?: PlotConfig): Promise<HTMLElement>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): void };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
