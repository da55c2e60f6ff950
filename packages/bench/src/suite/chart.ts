// vega-lite is an ES module: its types are imported as such (this package is CommonJS).
type TopLevelSpec = import('vega-lite', { with: { 'resolution-mode': 'import' }}).TopLevelSpec;

/** One panel of the chart: a measure, and one bar per server. */
export interface ChartPanel {
  title: string;
  /** Shown after each value (`calls/s`, `µs`, `MB`). */
  unit: string;
  /** When true, a shorter bar is better (latency, memory); said in the panel's title. */
  lowerIsBetter?: boolean;
  bars: { label: string; value: number; highlight?: boolean }[];
}

/** 1234567 → "1,234,567"; 12.345 → "12.3"; 0.1234 → "0.123". */
export function formatValue(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

/** The vega-lite spec: one horizontal bar chart per panel, each on its own scale, ours in blue. */
function chartSpec(title: string, panels: ChartPanel[]): TopLevelSpec {
  return {
    title,
    background: 'white',
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } },
    vconcat: panels.map((panel) => ({
      title: { text: `${panel.title}${panel.lowerIsBetter ? ' (lower is better)' : ''}`, anchor: 'start' },
      data: {
        values: panel.bars.map((bar) => ({ ...bar, text: `${formatValue(bar.value)} ${panel.unit}` })),
      },
      width: 420,
      height: { step: 22 },
      encoding: {
        // One label width for every panel, so that their bars line up.
        y: {
          field: 'label',
          type: 'nominal',
          sort: null,
          title: null,
          axis: { minExtent: 220, labelLimit: 220 },
        },
        x: { field: 'value', type: 'quantitative', axis: null },
      },
      layer: [
        {
          mark: 'bar',
          encoding: {
            color: { condition: { test: 'datum.highlight', value: '#2f6fde' }, value: '#9aa5b1' },
          },
        },
        { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { text: { field: 'text' } } },
      ],
    })),
  };
}

/**
 * The chart as a standalone SVG document, rendered by vega without a browser. Both vega and
 * vega-lite are ES modules (vega with top-level await), so they are imported, not required:
 * tsc keeps a dynamic import() as it is under `module: node16`.
 */
export async function renderChart(title: string, panels: ChartPanel[]): Promise<string> {
  const { compile } = await import('vega-lite');
  const { parse, View } = await import('vega');
  const view = new View(parse(compile(chartSpec(title, panels)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
