import { CONTENDERS, type ContenderName, type Telemetry } from '../servers';
import { type ChartPanel, formatValue } from './chart';
import type { Machine } from './machine';
import { errorsOf, medianOf, roundOrder, type ScenarioResult, type SuiteResult } from './run-suite';
import type { Sample } from './scenarios';

export const BEGIN = '<!-- bench:begin (written by `pnpm bench`: edit outside these markers) -->';
export const END = '<!-- bench:end -->';

/** The servers of the comparisons with the baselines; ours in bold in the tables, in blue in the chart. */
const LABELS: Partial<Record<ContenderName, string>> = {
  'ours-greeter': 'ours (greeter)',
  'ours-stream': 'ours (stream)',
  tutorial: 'tutorial grpc-js',
  ceiling: 'bare node:http2',
};
const labelOf = (name: ContenderName) => LABELS[name] ?? name;
const isOurs = (name: ContenderName) => name === 'ours-greeter' || name === 'ours-stream';

/** Our telemetry variants, as the telemetry tables and (short) the chart name them. */
const TELEMETRY_LABELS: Record<Telemetry, [long: string, short: string]> = {
  off: ['(a) telemetry off (`METRICS_PORT=0`)', '(a) telemetry off'],
  metrics: ['(b) as shipped: metrics on, tracing off', '(b) metrics (default)'],
  'kit-tracing': ['(c) metrics + tracing by the kits, every call', '(c) + kit tracing'],
  'instrumentation-grpc': [
    '(d) metrics + tracing by instrumentation-grpc, every call',
    '(d) + instr.-grpc tracing',
  ],
};
const telemetryLabelOf = (name: ContenderName, short = false) => {
  const telemetry = CONTENDERS[name].telemetry;
  return telemetry ? TELEMETRY_LABELS[telemetry][short ? 1 : 0] : labelOf(name);
};

/** One variant of a telemetry comparison, against the first (telemetry off). */
export interface TelemetryRow {
  name: ContenderName;
  label: string;
  /** calls/s or messages/s (median), and its ratio to the first variant's. */
  rate: number;
  rateRatio: number;
  p50: number | undefined;
  /** Server CPU µs per unit, its companion's included (ours-stream's Greeter): median of the per-run sums. */
  cpuUs: number;
  /** The companion's share of cpuUs (median), when it has one. */
  companionCpuUs: number | undefined;
  /** cpuUs over the first variant's. */
  cpuRatio: number;
  /** The cost per unit: cpuUs minus the first variant's. */
  costUs: number;
  spansPerUnit: number | undefined;
  peakRssMb: number;
}

const totalCpu = (s: Sample) => s.serverCpuUs + (s.companionCpuUs ?? 0);
const companionCpu = (s: Sample) => s.companionCpuUs;
const spans = (s: Sample) => s.spansPerUnit;
const definedMedian = (
  result: ScenarioResult,
  name: ContenderName,
  measure: (s: Sample) => number | undefined,
) => {
  const value = medianOf(result, name, measure);
  return Number.isNaN(value) ? undefined : value;
};

/**
 * The rows of a telemetry comparison: each variant's median rate and CPU per unit, and its cost
 * per unit (CPU µs over that of the first variant, telemetry off) as a difference and a ratio.
 */
export function telemetryRows(result: ScenarioResult): TelemetryRow[] {
  const base = result.scenario.servers[0] as ContenderName;
  const baseRate = medianOf(result, base, rate);
  const baseCpu = medianOf(result, base, totalCpu);
  return result.scenario.servers.map((name) => {
    const cpuUs = medianOf(result, name, totalCpu);
    const value = medianOf(result, name, rate);
    return {
      name,
      label: telemetryLabelOf(name),
      rate: value,
      rateRatio: value / baseRate,
      p50: result.scenario.latency ? definedMedian(result, name, p50) : undefined,
      cpuUs,
      companionCpuUs: definedMedian(result, name, companionCpu),
      cpuRatio: cpuUs / baseCpu,
      costUs: cpuUs - baseCpu,
      spansPerUnit: definedMedian(result, name, spans),
      peakRssMb: medianOf(result, name, rss),
    };
  });
}

const per = (unit: string) => (unit === 'calls/s' ? 'call' : 'message');
const signed = (value: number) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${formatValue(Math.abs(value))}` : 'n/a';

function telemetryTable(result: ScenarioResult): string[] {
  const rows = telemetryRows(result);
  const unit = per(result.scenario.unit);
  const hasCompanion = rows.some((row) => row.companionCpuUs !== undefined);
  /** A cell left empty on the first row, the variant the others are compared with. */
  const vsFirst = (cell: (row: TelemetryRow) => string) => (row: TelemetryRow, index: number) =>
    index === 0 ? '' : cell(row);
  return [
    ...table<TelemetryRow>(result.scenario.title, rows, [
      ['ours', (row) => row.label],
      [result.scenario.unit, (row) => formatValue(row.rate)],
      ['÷ (a)', vsFirst((row) => x(row.rateRatio))],
      result.scenario.latency && ['p50 µs', (row) => orNa(row.p50)],
      hasCompanion && [`stream CPU µs per ${unit}`, (row) => formatValue(medianOf(result, row.name, cpu))],
      hasCompanion && [`greeter CPU µs per ${unit}`, (row) => orNa(row.companionCpuUs)],
      [hasCompanion ? `both, µs per ${unit}` : `server CPU µs per ${unit}`, (row) => formatValue(row.cpuUs)],
      ['÷ (a)', vsFirst((row) => x(row.cpuRatio))],
      [`cost per ${unit}, µs`, vsFirst((row) => signed(row.costUs))],
      [`spans exported per ${unit}`, (row) => row.spansPerUnit?.toFixed(2) ?? ''],
      ['peak RSS MB', (row) => formatValue(row.peakRssMb)],
      [
        `CPU µs per ${unit}, each run`,
        (row) => (result.samples[row.name] ?? []).map((sample) => formatValue(totalCpu(sample))).join(', '),
      ],
    ]),
    `Medians of ${runsOf([result])} runs each, in the order ${roundOrder(result.scenario, 0)
      .map((name) => telemetryLabelOf(name).slice(0, 3))
      .join(' ')}, the next round in reverse. Cost per ${unit}: CPU µs per ${unit} minus that of (a).${
      hasCompanion ? ' The stream service and its Greeter share one CPU.' : ''
    } ${errorsSentenceOf(result)}`,
    '',
  ];
}

/** A column of a table: its heading and its cell in a row; `false` leaves it out. */
type Column<Row> = readonly [head: string, cell: (row: Row, index: number) => string] | false;

/** A heading and a Markdown table of `rows`, one cell per column, followed by an empty line. */
function table<Row>(title: string, rows: readonly Row[], columns: Column<Row>[]): string[] {
  const shown = columns.filter((column) => column !== false);
  return [
    `### ${title}`,
    '',
    `| ${shown.map(([head]) => head).join(' | ')} |`,
    `| ${shown.map(() => '---').join(' | ')} |`,
    ...rows.map((row, index) => `| ${shown.map(([, cell]) => cell(row, index)).join(' | ')} |`),
    '',
  ];
}

const orNa = (value: number | undefined) => (value === undefined ? 'n/a' : formatValue(value));

/** The errors of every call in a scenario, or that there were none. */
function errorsSentenceOf(result: ScenarioResult): string {
  const errors = Object.entries(errorsOf(result));
  return errors.length > 0
    ? `**Errors:** ${errors.map(([code, count]) => `${code} × ${count}`).join(', ')}`
    : 'Every response checked: no errors.';
}

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

/** The goals of the performance issue (#11), with the figures of this run. */
export function goalsOf(suite: SuiteResult): Goal[] {
  const throughput = find(suite, 'unary-throughput');
  const latency = find(suite, 'unary-latency');
  const get = find(suite, 'get-stream');
  const put = find(suite, 'put-stream');
  const all = find(suite, 'all-stream-latency');
  const allMany = find(suite, 'all-stream-throughput');
  const t = ratio(throughput, rate, 'tutorial');
  const l50 = ratio(latency, p50, 'tutorial');
  const l99 = ratio(latency, p99, 'tutorial');
  const g = ratio(get, rate, 'tutorial');
  const p = ratio(put, rate, 'tutorial');
  const m = ratio(throughput, rss, 'tutorial');
  const manyRate = allMany ? medianOf(allMany, 'ours-stream', rate) : Number.NaN;
  const manyP50 = allMany ? medianOf(allMany, 'ours-stream', p50) : Number.NaN;
  const hop =
    all && latency ? medianOf(all, 'ours-stream', p50) - medianOf(latency, 'ours-greeter', p50) : Number.NaN;
  const startupOf = (name: ContenderName) =>
    suite.startup.find((s) => s.name === name)?.medianMs ?? Number.NaN;
  const tutorialStart = startupOf('tutorial');
  const startRatios = (['ours-greeter', 'ours-stream'] as const).map(
    (name) => startupOf(name) / tutorialStart,
  );
  const startup = suite.startup.map((s) => `${labelOf(s.name)} ${s.medianMs.toFixed(0)} ms`).join(', ');
  const telemetry = find(suite, 'telemetry-unary');
  const costs = telemetry ? telemetryRows(telemetry) : [];
  const costOf = (name: ContenderName, what: string) => {
    const row = costs.find((r) => r.name === name);
    return row ? `${what} ${signed(row.costUs)} µs (${x(row.cpuRatio)})` : `${what} n/a`;
  };
  return [
    { goal: '1. unary throughput (4 × 50) ≥ 1.0 × tutorial', measured: x(t), met: t >= 1 },
    {
      goal: '2. unary latency (1 × 1): p50 ≤ 1.0 ×, p99 ≤ 1.1 × tutorial',
      measured: `p50 ${x(l50)}, p99 ${x(l99)}`,
      met: l50 <= 1 && l99 <= 1.1,
    },
    {
      goal: '3. GetStream and PutStream messages/s ≥ 1.0 × tutorial each',
      measured: `GetStream ${x(g)}, PutStream ${x(p)}`,
      met: g >= 1 && p >= 1,
    },
    {
      goal: '4. AllStream 4 × 10 through the Greeter hop: ≥ 6,000 messages/s, p50 ≤ 5 ms',
      measured: allMany
        ? `${formatValue(manyRate)} messages/s, p50 ${formatValue(manyP50 / 1000)} ms`
        : 'n/a',
      met: manyRate >= 6_000 && manyP50 <= 5_000,
    },
    {
      goal: '5. AllStream 1 × 1: the hop adds ≤ 500 µs to a plain SayHello (p50)',
      measured: all
        ? `+${formatValue(hop)} µs (AllStream p50 ${formatValue(medianOf(all, 'ours-stream', p50))} µs, ${formatValue(medianOf(all, 'ours-stream', rate))} messages/s)`
        : 'n/a',
      met: hop <= 500,
    },
    { goal: '6. greeter peak RSS under 4 × 50 ≤ 1.05 × tutorial', measured: x(m), met: m <= 1.05 },
    {
      goal: '7. start-up, process start to SERVING (median) ≤ 1.1 × tutorial',
      measured: startup,
      met: startRatios.every((r) => r <= 1.1),
    },
    {
      goal: '8. telemetry: server CPU per unary call over telemetry off (4 × 50)',
      measured: telemetry
        ? [
            costOf('ours-greeter', 'metrics on (the default)'),
            costOf('ours-greeter-traced', 'tracing every call, by the kits'),
            costOf('ours-greeter-otel-grpc', 'by instrumentation-grpc'),
          ].join('; ')
        : 'n/a',
      met: undefined,
    },
  ];
}

function scenarioTable(result: ScenarioResult): string[] {
  const { servers, unit, latency, title } = result.scenario;
  const ours = servers[0] as ContenderName;
  const median = (measure: (s: Sample) => number | undefined) => (name: ContenderName) =>
    formatValue(medianOf(result, name, measure));
  return [
    ...table(title, servers, [
      ['server', (name) => (isOurs(name) ? `**${labelOf(name)}**` : labelOf(name))],
      [unit, median(rate)],
      latency && ['p50 µs', median(p50)],
      latency && ['p99 µs', median(p99)],
      ['server CPU µs per unit', median(cpu)],
      ['peak RSS MB', median(rss)],
      [
        'ours ÷ it',
        (name) => (name === ours ? '' : x(medianOf(result, ours, rate) / medianOf(result, name, rate))),
      ],
    ]),
    errorsSentenceOf(result),
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
  const mark = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : '**missed**');
  const pinning = suite.pinned
    ? `servers pinned to CPU ${suite.pinned.server}, load generators to CPU ${suite.pinned.load} (taskset)`
    : 'nothing pinned (no taskset): figures are less comparable';
  const lines = [
    BEGIN,
    '',
    `Measured on ${machine.date} by \`${command}\` in ${Math.round(suite.seconds)} s: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, @grpc/grpc-js ${machine.grpcJs}, ${machine.h2load ?? 'no h2load'}; ${pinning}. Medians of ${runsOf(suite.results.filter((r) => !r.scenario.telemetry))} runs per server, the servers alternating.`,
    '',
    `![Benchmark chart](${chartPath})`,
    '',
    ...table('Goals', goalsOf(suite), [
      ['goal', (goal) => goal.goal],
      ['measured', (goal) => goal.measured],
      ['', (goal) => mark(goal.met)],
    ]),
    ...suite.results.filter((result) => !result.scenario.telemetry).flatMap(scenarioTable),
    ...suite.results.filter((result) => result.scenario.telemetry).flatMap(telemetryTable),
    ...table(
      'Start-up: process start to SERVING (ours: health Check; baselines: first SayHello)',
      suite.startup,
      [
        ['server', (s) => labelOf(s.name)],
        ['median ms', (s) => s.medianMs.toFixed(0)],
        ['runs (ms)', (s) => s.samplesMs.map((v) => v.toFixed(0)).join(', ')],
      ],
    ),
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
          label: labelOf(name),
          value: medianOf(result, name, measure),
          highlight: isOurs(name),
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
    ...telemetryPanel(find(suite, 'telemetry-unary')),
    {
      title: 'Start-up to SERVING (median)',
      unit: 'ms',
      lowerIsBetter: true,
      bars: suite.startup.map((s) => ({
        label: labelOf(s.name),
        value: s.medianMs,
        highlight: isOurs(s.name),
      })),
    },
  ];
}

/** Server CPU per unary call of each telemetry variant. */
function telemetryPanel(result: ScenarioResult | undefined): ChartPanel[] {
  if (!result) return [];
  return [
    {
      title: 'Server CPU per unary call, by telemetry (4 × 50)',
      unit: 'µs',
      lowerIsBetter: true,
      bars: telemetryRows(result).map((row) => ({
        label: telemetryLabelOf(row.name, true),
        value: row.cpuUs,
        highlight: row.name === 'ours-greeter',
      })),
    },
  ];
}

/** The most runs any server had in `results`. */
function runsOf(results: ScenarioResult[]): number {
  return Math.max(...results.flatMap((r) => Object.values(r.samples).map((s) => s?.length ?? 0)));
}

/** `document` with its generated part replaced by `generated` (or appended, the first time). */
export function spliceReport(document: string, generated: string): string {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) return `${document.trimEnd()}\n\n${generated}\n`;
  return document.slice(0, begin) + generated + document.slice(end + END.length);
}
