/** One sample of Prometheus's text format: `name{label="value",...} value`. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of metric `name` (exactly that name: `_bucket`, `_sum`, `_count` are names of their own). */
export function prometheusSamples(text: string, name: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    if (close !== -1) {
      for (const [, key, value] of line.slice(name.length, close + 1).matchAll(LABEL)) {
        labels[key as string] = value as string;
      }
    }
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) samples.push({ labels, value });
  }
  return samples;
}
