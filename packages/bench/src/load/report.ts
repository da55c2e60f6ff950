import type { LoadProgress, LoadResult } from './options';

const MiB = 1024 * 1024;

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const micros = (n: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const cores = (cpuMs: number, share: number) => `${(cpuMs / 1000).toFixed(2)} s (${share.toFixed(2)} cores)`;

/** One line for stderr: what the running phase has done so far. */
export function formatProgress({ phase, seconds, calls, errors }: LoadProgress): string {
  const perSecond = seconds > 0 ? calls / seconds : 0;
  return `${phase} ${seconds.toFixed(0)} s: ${count(calls)} calls (${rate(perSecond)}/s), ${count(errors)} errors`;
}

/** The result as a small table for a person, one figure per row. */
export function formatResult(result: LoadResult): string {
  const { latency } = result;
  const errors = Object.entries(result.errors)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, n]) => `${reason} ${count(n)}`);
  const rows: [string, string][] = [
    ['kind', `${result.kind} at ${result.target}`],
    ['load', `${result.connections} connections × ${result.streams} streams`],
    ['measured', `${result.seconds.toFixed(2)} s`],
    ['calls', `${count(result.calls)} (${rate(result.callsPerSecond)}/s)`],
  ];
  if (result.kind !== 'unary') {
    rows.push([
      'messages',
      `${count(result.messages)} (${rate(result.messagesPerSecond)}/s), ${result.messagesPerCall} per call`,
    ]);
  }
  rows.push(
    [
      `latency (µs per ${result.latencyOf})`,
      `p50 ${micros(latency.p50)}  p90 ${micros(latency.p90)}  p99 ${micros(latency.p99)}  max ${micros(latency.max)}  mean ${micros(latency.mean)}`,
    ],
    ['errors', errors.length > 0 ? errors.join(', ') : 'none'],
  );
  if (result.unfinished > 0)
    rows.push(['unfinished', `${count(result.unfinished)} calls cancelled at the end`]);
  rows.push(['load tool cpu', cores(result.loadCpu.cpuMs, result.loadCpu.cores)]);
  if (result.server) {
    const { cpuMs, cores: share, rssBytes, peakRssBytes } = result.server;
    rows.push(
      ['server cpu', cores(cpuMs, share)],
      [
        'server memory',
        `rss ${(rssBytes / MiB).toFixed(1)} MiB, peak ${(peakRssBytes / MiB).toFixed(1)} MiB`,
      ],
    );
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
