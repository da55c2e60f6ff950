import type { LoadResult } from './options';

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const micros = (n: number) => n.toFixed(1);
const cpu = (cpuMs: number, seconds: number) =>
  `${(cpuMs / 1000).toFixed(2)} s (${(cpuMs / 1000 / seconds).toFixed(2)} cores)`;

/** The result as a small table for a person, one figure per row. */
export function formatResult(result: LoadResult): string {
  const { latency, seconds } = result;
  const errors = Object.entries(result.errors).map(([reason, n]) => `${reason} ${count(n)}`);
  const rows: [string, string][] = [
    ['kind', `${result.kind} at ${result.target}`],
    ['load', `${result.connections} connections × ${result.streams} streams`],
    ['measured', `${seconds.toFixed(2)} s`],
    ['calls', `${count(result.calls)} (${rate(result.callsPerSecond)}/s)`],
    ['messages', `${count(result.messages)} (${rate(result.messagesPerSecond)}/s)`],
    [
      `latency µs per ${result.kind === 'all-stream' ? 'message' : 'call'}`,
      `p50 ${micros(latency.p50)}  p90 ${micros(latency.p90)}  p99 ${micros(latency.p99)}  max ${micros(latency.max)}`,
    ],
    ['errors', errors.length > 0 ? errors.join(', ') : 'none'],
    ['unfinished', `${count(result.unfinished)} calls cancelled at the end`],
    ['load tool cpu', cpu(result.loadCpuMs, seconds)],
    ...result.processes.map((p, i): [string, string] => [
      i === 0 ? 'server' : `backend ${i}`,
      p ? `cpu ${cpu(p.cpuMs, seconds)}, peak rss ${(p.peakRssBytes / 2 ** 20).toFixed(1)} MiB` : 'gone',
    ]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
