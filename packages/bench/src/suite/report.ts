import { CONTENDERS, type ContenderName, type Telemetry } from '../servers';
import { type ChartPanel, formatValue } from './chart';
import { errorsOf, medianOf, roundOrder, type ScenarioResult, type SuiteResult } from './run-suite';
import type { Sample } from './scenarios';

export const BEGIN = '<!-- bench:begin (written by `pnpm bench`: edit outside these markers) -->';
export const END = '<!-- bench:end -->';

/** How tables and the chart name a server; in a telemetry comparison, ours by its telemetry. */
const LABELS: Partial<Record<ContenderName, string>> = {
  'ours-greeter': 'ours (greeter)',
  'ours-stream': 'ours (stream)',
  tutorial: 'tutorial grpc-js',
  ceiling: 'bare node:http2',
};
const TELEMETRY_LABELS: Record<Telemetry, string> = {
  off: '(a) telemetry off',
  metrics: '(b) metrics (as shipped)',
  'kit-tracing': '(c) + kit tracing',
  'instrumentation-grpc': '(d) + instr.-grpc tracing',
};
const labelOf = (name: ContenderName, telemetry = false): string => {
  const variant = CONTENDERS[name].telemetry;
  return telemetry && variant ? TELEMETRY_LABELS[variant] : (LABELS[name] ?? name);
};
const isOurs = (name: ContenderName) => name === 'ours-greeter' || name === 'ours-stream';

const rate = (s: Sample) => s.rate;
const p50 = (s: Sample) => s.p50;
const p99 = (s: Sample) => s.p99;
const cpu = (s: Sample) => s.serverCpuUs;
const rss = (s: Sample) => s.serverPeakRssMb;
/** Server CPU per unit, its companion's included (ours-stream's Greeter). */
const totalCpu = (s: Sample) => s.serverCpuUs + (s.companionCpuUs ?? 0);

/**
 * In a comparison of our telemetry variants: `name`'s median CPU µs per unit (its companion's
 * included), over the first variant's (telemetry off), and its cost, that minus the first's.
 */
export function telemetryCost(result: ScenarioResult, name: ContenderName) {
  const cpuUs = medianOf(result, name, totalCpu);
  const baseUs = medianOf(result, result.scenario.servers[0] as ContenderName, totalCpu);
  return { cpuUs, ratio: cpuUs / baseUs, costUs: cpuUs - baseUs };
}

const x = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ×` : 'n/a');
const orNa = (value: number) => (Number.isNaN(value) ? 'n/a' : formatValue(value));
const signed = (value: number) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${formatValue(Math.abs(value))}` : 'n/a';

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

/** The errors of every call in a scenario, or that there were none. */
function errorsSentenceOf(result: ScenarioResult): string {
  const errors = Object.entries(errorsOf(result));
  return errors.length > 0
    ? `**Errors:** ${errors.map(([code, count]) => `${code} × ${count}`).join(', ')}`
    : 'Every response checked: no errors.';
}

/** Ours (the first server) against each baseline: "ours ÷ it". */
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

/** Our telemetry variants, each against the first (telemetry off). */
function telemetryTable(result: ScenarioResult): string[] {
  const { servers, title, latency } = result.scenario;
  const unit = result.scenario.unit === 'calls/s' ? 'call' : 'message';
  const median = (name: ContenderName, measure: (s: Sample) => number | undefined) =>
    medianOf(result, name, measure);
  const greeterCpu = (name: ContenderName) => median(name, (s) => s.companionCpuUs);
  const spans = (name: ContenderName) => median(name, (s) => s.spansPerUnit);
  const hasCompanion = servers.some((name) => !Number.isNaN(greeterCpu(name)));
  /** A cell left empty on the first row, the variant the others are compared with. */
  const vsFirst = (cell: (name: ContenderName) => string) => (name: ContenderName, index: number) =>
    index === 0 ? '' : cell(name);
  return [
    ...table(title, servers, [
      ['ours', (name) => labelOf(name, true)],
      [result.scenario.unit, (name) => formatValue(median(name, rate))],
      ['÷ (a)', vsFirst((name) => x(median(name, rate) / median(servers[0] as ContenderName, rate)))],
      latency && ['p50 µs', (name) => orNa(median(name, p50))],
      hasCompanion && [`stream CPU µs per ${unit}`, (name) => formatValue(median(name, cpu))],
      hasCompanion && [`greeter CPU µs per ${unit}`, (name) => orNa(greeterCpu(name))],
      [
        hasCompanion ? `both, µs per ${unit}` : `server CPU µs per ${unit}`,
        (name) => formatValue(telemetryCost(result, name).cpuUs),
      ],
      ['÷ (a)', vsFirst((name) => x(telemetryCost(result, name).ratio))],
      [`cost per ${unit}, µs`, vsFirst((name) => signed(telemetryCost(result, name).costUs))],
      [`spans exported per ${unit}`, (name) => (Number.isNaN(spans(name)) ? '' : spans(name).toFixed(2))],
      ['peak RSS MB', (name) => formatValue(median(name, rss))],
      [
        `CPU µs per ${unit}, each run`,
        (name) => (result.samples[name] ?? []).map((sample) => formatValue(totalCpu(sample))).join(', '),
      ],
    ]),
    `Medians of ${runsOf([result])} runs each, in the order ${roundOrder(result.scenario, 0)
      .map((name) => labelOf(name, true).slice(0, 3))
      .join(' ')}, the next round in reverse. Cost per ${unit}: CPU µs per ${unit} minus that of (a).${
      hasCompanion ? ' The stream service and its Greeter share one CPU.' : ''
    } ${errorsSentenceOf(result)}`,
    '',
  ];
}

interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The goals of the performance issue (#11), with the figures of this run. */
export function goalsOf(suite: SuiteResult): Goal[] {
  const find = (id: string) => suite.results.find((result) => result.scenario.id === id);
  /** The median of `measure` for `name` (ours, the first server, unless told) in scenario `id`; NaN if not run. */
  const of = (id: string, measure: (s: Sample) => number | undefined, name?: ContenderName) => {
    const result = find(id);
    return result
      ? medianOf(result, name ?? (result.scenario.servers[0] as ContenderName), measure)
      : Number.NaN;
  };
  const vsTutorial = (id: string, measure: (s: Sample) => number | undefined) =>
    of(id, measure) / of(id, measure, 'tutorial');
  const [t, l50, l99] = [
    vsTutorial('unary-throughput', rate),
    vsTutorial('unary-latency', p50),
    vsTutorial('unary-latency', p99),
  ];
  const [g, p, m] = [
    vsTutorial('get-stream', rate),
    vsTutorial('put-stream', rate),
    vsTutorial('unary-throughput', rss),
  ];
  const [manyRate, manyP50] = [of('all-stream-throughput', rate), of('all-stream-throughput', p50)];
  const [hopP50, hopRate] = [of('all-stream-latency', p50), of('all-stream-latency', rate)];
  const hop = hopP50 - of('unary-latency', p50);
  const startupOf = (name: ContenderName) =>
    suite.startup.find((s) => s.name === name)?.medianMs ?? Number.NaN;
  const telemetry = find('telemetry-unary');
  const costOf = (name: ContenderName, what: string) => {
    const { costUs, ratio } = telemetry ? telemetryCost(telemetry, name) : { costUs: Number.NaN, ratio: 0 };
    return Number.isNaN(costUs) ? `${what} n/a` : `${what} ${signed(costUs)} µs (${x(ratio)})`;
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
      measured: Number.isNaN(manyRate)
        ? 'n/a'
        : `${formatValue(manyRate)} messages/s, p50 ${formatValue(manyP50 / 1000)} ms`,
      met: manyRate >= 6_000 && manyP50 <= 5_000,
    },
    {
      goal: '5. AllStream 1 × 1: the hop adds ≤ 500 µs to a plain SayHello (p50)',
      measured: Number.isNaN(hop)
        ? 'n/a'
        : `+${formatValue(hop)} µs (AllStream p50 ${formatValue(hopP50)} µs, ${formatValue(hopRate)} messages/s)`,
      met: hop <= 500,
    },
    { goal: '6. greeter peak RSS under 4 × 50 ≤ 1.05 × tutorial', measured: x(m), met: m <= 1.05 },
    {
      goal: '7. start-up, process start to SERVING (median) ≤ 1.1 × tutorial',
      measured: suite.startup.map((s) => `${labelOf(s.name)} ${s.medianMs.toFixed(0)} ms`).join(', '),
      met: (['ours-greeter', 'ours-stream'] as const).every(
        (name) => startupOf(name) / startupOf('tutorial') <= 1.1,
      ),
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

/** The generated part of BENCHMARKS.md, between BEGIN and END. */
export function renderReport(
  suite: SuiteResult,
  machine: string,
  command: string,
  chartPath: string,
): string {
  const mark = (met: boolean | undefined) => (met === undefined ? 'reported' : met ? 'met' : '**missed**');
  const pinning = suite.pinned
    ? `servers pinned to CPU ${suite.pinned.server}, load generators to CPU ${suite.pinned.load} (taskset)`
    : 'nothing pinned (no taskset): figures are less comparable';
  const baselines = suite.results.filter((result) => !result.scenario.telemetry);
  return [
    BEGIN,
    '',
    `Measured on ${new Date().toISOString().slice(0, 10)} by \`${command}\` in ${Math.round(suite.seconds)} s: ${machine}; ${pinning}. Medians of ${runsOf(baselines)} runs per server, the servers alternating.`,
    '',
    `![Benchmark chart](${chartPath})`,
    '',
    ...table('Goals', goalsOf(suite), [
      ['goal', (goal) => goal.goal],
      ['measured', (goal) => goal.measured],
      ['', (goal) => mark(goal.met)],
    ]),
    ...baselines.flatMap(scenarioTable),
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
  ].join('\n');
}

/** The chart's panels: throughput, latency, streaming, memory, telemetry and start-up. */
export function chartPanels(suite: SuiteResult): ChartPanel[] {
  const panel = (
    id: string,
    title: string,
    unit: string,
    measure: (s: Sample) => number | undefined,
    lowerIsBetter = false,
  ): ChartPanel[] => {
    const result = suite.results.find((r) => r.scenario.id === id);
    if (!result) return [];
    const telemetry = result.scenario.telemetry ?? false;
    const bars = result.scenario.servers.map((name) => ({
      label: labelOf(name, telemetry),
      value: medianOf(result, name, measure),
      highlight: telemetry ? name === 'ours-greeter' : isOurs(name),
    }));
    return [{ title, unit, lowerIsBetter, bars }];
  };
  return [
    ...panel('unary-throughput', 'Unary throughput, 4 × 50', 'calls/s', rate),
    ...panel('unary-latency', 'Unary latency p50, 1 × 1', 'µs', p50, true),
    ...panel('unary-latency', 'Unary latency p99, 1 × 1', 'µs', p99, true),
    ...panel('get-stream', 'GetStream (server streaming)', 'msg/s', rate),
    ...panel('put-stream', 'PutStream (client streaming)', 'msg/s', rate),
    ...panel('all-stream-throughput', 'AllStream 4 × 10 (ours: a Greeter call per message)', 'msg/s', rate),
    ...panel('unary-throughput', 'Peak RSS under unary 4 × 50', 'MB', rss, true),
    ...panel('telemetry-unary', 'Server CPU per unary call, by telemetry (4 × 50)', 'µs', totalCpu, true),
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
