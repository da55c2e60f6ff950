/** One panel of the chart: a measure, and one bar per server. */
export interface ChartPanel {
  title: string;
  /** Shown after each value (`calls/s`, `µs`, `MB`). */
  unit: string;
  /** When true, a shorter bar is better (latency, memory); said in the panel's title. */
  lowerIsBetter?: boolean;
  bars: { label: string; value: number; highlight?: boolean }[];
}

const WIDTH = 760;
const LABEL_WIDTH = 190;
const VALUE_WIDTH = 130;
const BAR_HEIGHT = 20;
const BAR_GAP = 6;
const TITLE_HEIGHT = 30;
const PANEL_GAP = 18;
const OURS = '#2f6fde';
const OTHERS = '#9aa5b1';

/**
 * A horizontal bar chart as a standalone SVG document: one panel per measure, each scaled to its
 * own largest value, our servers in blue. Plain SVG 1.1, no script and no external font, so that
 * GitHub and any browser render it the same.
 */
export function renderChart(title: string, panels: ChartPanel[]): string {
  const parts: string[] = [];
  let y = 40;
  for (const panel of panels) {
    parts.push(text(16, y + 18, `${panel.title}${panel.lowerIsBetter ? ' (lower is better)' : ''}`, 'panel'));
    y += TITLE_HEIGHT;
    const largest = Math.max(...panel.bars.map((bar) => bar.value), Number.MIN_VALUE);
    const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 16;
    for (const bar of panel.bars) {
      const width = Math.max(1, Math.round((bar.value / largest) * span));
      parts.push(text(LABEL_WIDTH - 8, y + 14, bar.label, 'label'));
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" fill="${bar.highlight ? OURS : OTHERS}"/>`,
      );
      parts.push(text(LABEL_WIDTH + width + 6, y + 14, `${formatValue(bar.value)} ${panel.unit}`, 'value'));
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += PANEL_GAP;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    '<style>text{font-family:Helvetica,Arial,sans-serif;fill:#1f2933}.title{font-size:18px;font-weight:bold}',
    '.panel{font-size:14px;font-weight:bold}.label{font-size:12px;text-anchor:end}.value{font-size:12px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(16, 26, title, 'title'),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** 1234567 → "1,234,567"; 12.345 → "12.3"; 0.1234 → "0.123". */
export function formatValue(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

function text(x: number, y: number, content: string, className: string): string {
  return `<text x="${x}" y="${y}" class="${className}">${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
