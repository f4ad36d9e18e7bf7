/** The few Plotly calls and trace fields the charts use (kept small on purpose; see plot.ts). */
declare module 'plotly.js-dist-min' {
  export interface PlotTrace {
    x: number[];
    y: number[];
    name?: string;
    type?: 'scatter' | 'bar';
    mode?: 'lines' | 'markers' | 'lines+markers';
    line?: { color?: string; width?: number; dash?: string };
    marker?: { size?: number; color?: string; opacity?: number; symbol?: string };
    /** Bar width in x units (bar traces). */
    width?: number;
    opacity?: number;
    hovertemplate?: string;
    /** Per-point text shown on hover. */
    text?: string[];
    hoverinfo?: string;
    showlegend?: boolean;
    /** 'y2': drawn against the layout's second y axis (yaxis2). */
    yaxis?: string;
  }
  export type PlotLayout = Record<string, unknown>;
  export type PlotConfig = Record<string, unknown>;
  export interface PlotlyStatic {
    newPlot(el: HTMLElement, data: PlotTrace[], layout?: PlotLayout, config?: PlotConfig): Promise<HTMLElement>;
    react(el: HTMLElement, data: PlotTrace[], layout?: PlotLayout, config?: PlotConfig): Promise<HTMLElement>;
    relayout(el: HTMLElement, update: Record<string, unknown>): Promise<HTMLElement>;
    restyle(el: HTMLElement, update: Record<string, unknown>, traces?: number[]): Promise<HTMLElement>;
    animate(el: HTMLElement, frame: { data: Partial<PlotTrace>[]; traces: number[] }, options: Record<string, unknown>): Promise<void>;
    purge(el: HTMLElement): void;
    /** Renders a plot (its element, or a figure) to an image and saves it as `filename`.<format>. */
    downloadImage(
      figure: HTMLElement | { data: PlotTrace[]; layout?: PlotLayout },
      options: { format: 'png' | 'svg'; filename: string; width?: number; height?: number; scale?: number },
    ): Promise<string>;
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
