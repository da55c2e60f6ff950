import type { ContenderName } from '../servers';
import { type ChartPanel, formatValue } from './chart';
import type { Machine } from './machine';
import { errorsOf, medianOf, type ScenarioResult, type SuiteResult } from './run-suite';
import type { Sample } from './scenarios';

export const BEGIN = '<!-- bench:begin (written by `pnpm bench`: edit outside these markers) -->';
export const END = '<!-- bench:end -->';

const LABELS: Record<ContenderName, string> = {
  'ours-greeter': 'ours (greeter)',
  'ours-stream': 'ours (stream)',
  tutorial: 'tutorial grpc-js',
  ceiling: 'bare node:http2',
};
const OURS = new Set<ContenderName>(['ours-greeter', 'ours-stream']);

interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

const rate = (s: Sample) => s.rate;
const p50 = (s: Sample) => s.p50;
const p99 = (s: Sample) => s.p99;
const cpu = (s: Sample) => s.serverCpuUs;
const rss = (s: Sample) => s.serverPeakRssMb;

function find(suite: SuiteResult, id: string): ScenarioResult | undefined {
  return suite.results.find((result) => result.scenario.id === id);
}

function ratio(
  result: ScenarioResult | undefined,
  measure: (s: Sample) => number | undefined,
  of: ContenderName,
) {
  if (!result) return Number.NaN;
  const ours = result.scenario.servers[0] as ContenderName;
  return medianOf(result, ours, measure) / medianOf(result, of, measure);
}

const x = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ×` : 'n/a');

/** Goals 1-7 of the benchmark issue, with the figures of this run. */
export function goalsOf(suite: SuiteResult): Goal[] {
  const throughput = find(suite, 'unary-throughput');
  const latency = find(suite, 'unary-latency');
  const get = find(suite, 'get-stream');
  const put = find(suite, 'put-stream');
  const all = find(suite, 'all-stream-latency');
  const allMany = find(suite, 'all-stream-throughput');
  const t = ratio(throughput, rate, 'tutorial');
  const c = ratio(throughput, rate, 'ceiling');
  const l50 = ratio(latency, p50, 'tutorial');
  const l99 = ratio(latency, p99, 'tutorial');
  const g = ratio(get, rate, 'tutorial');
  const m = ratio(throughput, rss, 'tutorial');
  const hop =
    all && latency ? medianOf(all, 'ours-stream', p50) - medianOf(latency, 'ours-greeter', p50) : Number.NaN;
  const startup = suite.startup.map((s) => `${LABELS[s.name]} ${s.medianMs.toFixed(0)} ms`).join(', ');
  return [
    { goal: '1. unary throughput (4 × 50) ≥ 1.0 × tutorial', measured: x(t), met: t >= 1 },
    {
      goal: '2. unary latency (1 × 1): p50 ≤ 1.05 ×, p99 ≤ 1.1 × tutorial',
      measured: `p50 ${x(l50)}, p99 ${x(l99)}`,
      met: l50 <= 1.05 && l99 <= 1.1,
    },
    { goal: '3. unary throughput ≥ 0.7 × bare node:http2', measured: x(c), met: c >= 0.7 },
    {
      goal: '4. GetStream ≥ 1.0 × tutorial; PutStream and AllStream measured',
      measured: `GetStream ${x(g)}; PutStream ${x(ratio(put, rate, 'tutorial'))}; AllStream 4 × 10 ${x(ratio(allMany, rate, 'tutorial'))}`,
      met: g >= 1,
    },
    {
      goal: '5. stream → greeter: AllStream messages/s and the hop’s added latency',
      measured: all
        ? `${formatValue(medianOf(all, 'ours-stream', rate))} messages/s one at a time (p50 ${formatValue(medianOf(all, 'ours-stream', p50))} µs), +${formatValue(hop)} µs over a plain SayHello`
        : 'n/a',
      met: undefined,
    },
    { goal: '6. greeter peak RSS under 4 × 50 ≤ 1.1 × tutorial', measured: x(m), met: m <= 1.1 },
    { goal: '7. start-up, process start to SERVING (median)', measured: startup, met: undefined },
  ];
}

function scenarioTable(result: ScenarioResult): string[] {
  const ours = result.scenario.servers[0] as ContenderName;
  const hasLatency = result.scenario.latency;
  const head = [
    'server',
    result.scenario.unit,
    ...(hasLatency ? ['p50 µs', 'p99 µs'] : []),
    'server CPU µs per unit',
    'peak RSS MB',
    'ours ÷ it',
  ];
  const rows = result.scenario.servers.map((name) => {
    const value = medianOf(result, name, rate);
    return [
      OURS.has(name) ? `**${LABELS[name]}**` : LABELS[name],
      formatValue(value),
      ...(hasLatency
        ? [formatValue(medianOf(result, name, p50)), formatValue(medianOf(result, name, p99))]
        : []),
      formatValue(medianOf(result, name, cpu)),
      formatValue(medianOf(result, name, rss)),
      name === ours ? '' : x(medianOf(result, ours, rate) / value),
    ];
  });
  const errors = Object.entries(errorsOf(result));
  return [
    `### ${result.scenario.title}`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    errors.length > 0
      ? `**Errors:** ${errors.map(([code, count]) => `${code} × ${count}`).join(', ')}`
      : 'Every response checked: no errors.',
    '',
  ];
}

/** The generated part of BENCHMARKS.md, between BEGIN and END. */
export function renderReport(
  suite: SuiteResult,
  machine: Machine,
  command: string,
  chartPath: string,
): string {
  const goals = goalsOf(suite);
  const mark = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : '**missed**');
  const pinning = suite.pinned
    ? `servers pinned to CPU ${suite.pinned.server}, load generators to CPU ${suite.pinned.load} (taskset)`
    : 'nothing pinned (no taskset): figures are less comparable';
  const lines = [
    BEGIN,
    '',
    `Measured on ${machine.date} by \`${command}\` in ${Math.round(suite.seconds)} s: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, @grpc/grpc-js ${machine.grpcJs}, ${machine.h2load ?? 'no h2load'}; ${pinning}. Medians of ${Math.max(...suite.results.flatMap((r) => Object.values(r.samples).map((s) => s?.length ?? 0)))} runs per server, the servers alternating.`,
    '',
    `![Benchmark chart](${chartPath})`,
    '',
    '### Goals',
    '',
    '| goal | measured | |',
    '| --- | --- | --- |',
    ...goals.map((goal) => `| ${goal.goal} | ${goal.measured} | ${mark(goal.met)} |`),
    '',
    ...suite.results.flatMap(scenarioTable),
    '### Start-up: process start to SERVING (ours: health Check; baselines: first SayHello)',
    '',
    '| server | median ms | runs (ms) |',
    '| --- | --- | --- |',
    ...suite.startup.map(
      (s) =>
        `| ${LABELS[s.name]} | ${s.medianMs.toFixed(0)} | ${s.samplesMs.map((v) => v.toFixed(0)).join(', ')} |`,
    ),
    '',
    END,
  ];
  return lines.join('\n');
}

/** The chart's panels: throughput, latency, streaming, memory and start-up. */
export function chartPanels(suite: SuiteResult): ChartPanel[] {
  const panel = (
    id: string,
    title: string,
    unit: string,
    measure: (s: Sample) => number | undefined,
    lowerIsBetter = false,
  ): ChartPanel[] => {
    const result = find(suite, id);
    if (!result) return [];
    return [
      {
        title,
        unit,
        lowerIsBetter,
        bars: result.scenario.servers.map((name) => ({
          label: LABELS[name],
          value: medianOf(result, name, measure),
          highlight: OURS.has(name),
        })),
      },
    ];
  };
  return [
    ...panel('unary-throughput', 'Unary throughput, 4 × 50', 'calls/s', rate),
    ...panel('unary-latency', 'Unary latency p50, 1 × 1', 'µs', p50, true),
    ...panel('unary-latency', 'Unary latency p99, 1 × 1', 'µs', p99, true),
    ...panel('get-stream', 'GetStream (server streaming)', 'msg/s', rate),
    ...panel('put-stream', 'PutStream (client streaming)', 'msg/s', rate),
    ...panel('all-stream-throughput', 'AllStream 4 × 10 (ours: a Greeter call per message)', 'msg/s', rate),
    ...panel('unary-throughput', 'Peak RSS under unary 4 × 50', 'MB', rss, true),
    {
      title: 'Start-up to SERVING (median)',
      unit: 'ms',
      lowerIsBetter: true,
      bars: suite.startup.map((s) => ({
        label: LABELS[s.name],
        value: s.medianMs,
        highlight: OURS.has(s.name),
      })),
    },
  ];
}

/** `document` with its generated part replaced by `generated` (or appended, the first time). */
export function spliceReport(document: string, generated: string): string {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) return `${document.trimEnd()}\n\n${generated}\n`;
  return document.slice(0, begin) + generated + document.slice(end + END.length);
}
