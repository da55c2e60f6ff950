import { join } from 'node:path';
import { runNode } from '@repo/runner';
import type { ContenderName } from '../src/servers';
import type { ChartPanel } from '../src/suite/chart';
import { BEGIN, END, goalsOf, renderReport, spliceReport, telemetryCost } from '../src/suite/report';
import { roundOrder, type ScenarioResult, type SuiteResult } from '../src/suite/run-suite';
import type { Sample, Scenario } from '../src/suite/scenarios';

const sample = (rate: number, extra: Partial<Sample> = {}): Sample => ({
  rate,
  serverCpuUs: 50,
  serverPeakRssMb: 60,
  errors: {},
  ...extra,
});

function scenario(id: string, servers: ContenderName[], extra: Partial<Scenario> = {}): Scenario {
  return {
    id,
    title: id,
    unit: 'calls/s',
    latency: true,
    servers,
    ...extra,
    measure: () => Promise.reject(new Error('not run')),
  };
}

/** Three runs per server; medians are the middle value. */
const suite: SuiteResult = {
  results: [
    {
      scenario: scenario('unary-throughput', ['ours-greeter', 'tutorial', 'ceiling']),
      samples: {
        'ours-greeter': [
          sample(900, { serverPeakRssMb: 70 }),
          sample(1100, { serverPeakRssMb: 66 }),
          sample(1000, { serverPeakRssMb: 66 }),
        ],
        tutorial: [sample(1000), sample(1000), sample(1000)],
        ceiling: [sample(2000), sample(2000), sample(2000)],
      },
    },
    {
      scenario: scenario('unary-latency', ['ours-greeter', 'tutorial', 'ceiling']),
      samples: {
        'ours-greeter': [sample(1, { p50: 200, p99: 400 })],
        tutorial: [sample(1, { p50: 200, p99: 300 })],
        ceiling: [sample(1, { p50: 100, p99: 200 })],
      },
    },
    {
      scenario: scenario('all-stream-latency', ['ours-stream', 'tutorial']),
      samples: { 'ours-stream': [sample(500, { p50: 700 })], tutorial: [sample(5000, { p50: 150 })] },
    },
    {
      scenario: scenario(
        'telemetry-unary',
        ['ours-greeter-off', 'ours-greeter', 'ours-greeter-traced', 'ours-greeter-otel-grpc'],
        { telemetry: true, latency: false },
      ),
      samples: {
        'ours-greeter-off': [sample(10_000, { serverCpuUs: 80 }), sample(9_000, { serverCpuUs: 90 })],
        'ours-greeter': [sample(9_000, { serverCpuUs: 90 }), sample(9_000, { serverCpuUs: 90 })],
        'ours-greeter-traced': [sample(6_000, { serverCpuUs: 130, spansPerUnit: 1 })],
        'ours-greeter-otel-grpc': [sample(5_000, { serverCpuUs: 150, spansPerUnit: 0.99 })],
      },
    },
    {
      scenario: scenario('telemetry-all-stream', ['ours-stream-off', 'ours-stream-traced'], {
        telemetry: true,
        unit: 'messages/s',
      }),
      samples: {
        'ours-stream-off': [
          sample(2_000, { serverCpuUs: 200, companionCpuUs: 100, p50: 10_000 }),
          sample(2_200, { serverCpuUs: 180, companionCpuUs: 110, p50: 9_000 }),
        ],
        'ours-stream-traced': [sample(1_000, { serverCpuUs: 400, companionCpuUs: 150, spansPerUnit: 2 })],
      },
    },
  ],
  startup: [
    { name: 'ours-greeter', samplesMs: [300, 310, 320], medianMs: 310 },
    { name: 'ours-stream', samplesMs: [335, 345, 355], medianMs: 345 },
    { name: 'tutorial', samplesMs: [290, 300, 310], medianMs: 300 },
  ],
  pinned: { server: 0, load: 1 },
  seconds: 300,
};

describe('goalsOf', () => {
  const goals = goalsOf(suite);

  it('compares medians of ours with the tutorial', () => {
    expect(goals[0]).toEqual({ goal: expect.stringMatching(/^1\./), measured: '1.00 ×', met: true });
    // 66 MB against 60: over 1.05 ×.
    expect(goals[5]).toEqual({ goal: expect.stringMatching(/^6\./), measured: '1.10 ×', met: false });
  });

  it('misses the latency goal when either percentile is over its bound', () => {
    expect(goals[1]).toMatchObject({ measured: 'p50 1.00 ×, p99 1.33 ×', met: false });
  });

  it('measures the hop as AllStream latency over a plain SayHello, against +500 µs', () => {
    expect(goals[4]).toMatchObject({ measured: expect.stringMatching(/^\+500 µs/), met: true });
  });

  it('holds both services to 1.1 × the tutorial start-up', () => {
    // 310 and 345 ms against 300: the stream service's 1.15 × is over.
    expect(goals[6]).toMatchObject({
      measured: expect.stringContaining('tutorial grpc-js 300 ms'),
      met: false,
    });
  });

  it('reports n/a, and no goal met, for what was not measured', () => {
    expect(goals[2]).toMatchObject({ measured: 'GetStream n/a, PutStream n/a', met: false });
    expect(goals[3]).toMatchObject({ measured: 'n/a', met: false });
  });
});

describe('telemetryCost', () => {
  const find = (id: string) => suite.results.find((result) => result.scenario.id === id) as ScenarioResult;
  const report = renderReport(suite, 'a machine', 'pnpm bench', 'chart.svg');

  it('gives each variant its cost per call: CPU µs over telemetry off, as a difference and a ratio', () => {
    const unary = find('telemetry-unary');
    expect(unary.scenario.servers.map((name) => telemetryCost(unary, name))).toEqual([
      { cpuUs: 85, costUs: 0, ratio: 1 },
      { cpuUs: 90, costUs: 5, ratio: 90 / 85 },
      { cpuUs: 130, costUs: 45, ratio: 130 / 85 },
      { cpuUs: 150, costUs: 65, ratio: 150 / 85 },
    ]);
    // Rate over (a)'s, CPU and its ratio, cost, spans per call.
    expect(report).toContain('| (c) + kit tracing | 6,000 | 0.63 × | 130 | 1.53 × | +45.0 | 1.00 | 60.0 |');
    expect(report).toContain(
      '| (b) metrics (as shipped) | 9,000 | 0.95 × | 90.0 | 1.06 × | +5.00 |  | 60.0 |',
    );
  });

  it("counts the Greeter's CPU in the hop's, run by run", () => {
    const allStream = find('telemetry-all-stream');
    // Runs of 300 and 290 µs: median 295, of which the Greeter's 105.
    expect(telemetryCost(allStream, 'ours-stream-off')).toMatchObject({ cpuUs: 295, costUs: 0 });
    expect(telemetryCost(allStream, 'ours-stream-traced')).toMatchObject({ cpuUs: 550, costUs: 255 });
    expect(report).toContain(
      '| (a) telemetry off | 2,100 |  | 9,500 | 190 | 105 | 295 |  |  |  | 60.0 | 300, 290 |',
    );
    expect(report).toContain(
      '| (c) + kit tracing | 1,000 | 0.48 × | n/a | 400 | 150 | 550 | 1.86 × | +255 | 2.00 |',
    );
  });

  it('is reported as goal 8 and in its own tables, not in the comparison with the baselines', () => {
    expect(goalsOf(suite)[7]).toEqual({
      goal: expect.stringMatching(/^8\. telemetry/),
      measured:
        'metrics on (the default) +5.00 µs (1.06 ×); tracing every call, by the kits +45.0 µs (1.53 ×); by instrumentation-grpc +65.0 µs (1.76 ×)',
      met: undefined,
    });
    expect(report).not.toContain('ours (greeter), kit tracing');
    expect(report).toContain(
      'Medians of 2 runs each, in the order (a) (b) (c) (d), the next round in reverse.',
    );
  });
});

describe('roundOrder', () => {
  it('alternates the servers round by round, back and forth within a round when measured twice', () => {
    const once = scenario('s', ['ours-greeter', 'tutorial', 'ceiling']);
    expect(roundOrder(once, 0)).toEqual(['ours-greeter', 'tutorial', 'ceiling']);
    expect(roundOrder(once, 1)).toEqual(['ceiling', 'tutorial', 'ours-greeter']);
    const twice = {
      ...once,
      servers: ['ours-greeter-off', 'ours-greeter'] as ContenderName[],
      samplesPerRound: 2,
    };
    expect(roundOrder(twice, 0)).toEqual([
      'ours-greeter-off',
      'ours-greeter',
      'ours-greeter',
      'ours-greeter-off',
    ]);
    expect(roundOrder(twice, 1)).toEqual([
      'ours-greeter',
      'ours-greeter-off',
      'ours-greeter-off',
      'ours-greeter',
    ]);
  });
});

describe('spliceReport', () => {
  it('replaces only the generated part', () => {
    const document = `# Benchmarks\n\nintro\n\n${BEGIN}\nold\n${END}\n\n## Notes\nkept\n`;
    expect(spliceReport(document, `${BEGIN}\nnew\n${END}`)).toBe(
      `# Benchmarks\n\nintro\n\n${BEGIN}\nnew\n${END}\n\n## Notes\nkept\n`,
    );
  });

  it('appends the generated part to a document without one', () => {
    expect(spliceReport('# Benchmarks\n', `${BEGIN}\nnew\n${END}`)).toBe(
      `# Benchmarks\n\n${BEGIN}\nnew\n${END}\n`,
    );
  });
});

describe('the chart', () => {
  const panels: ChartPanel[] = [
    {
      title: 'Throughput',
      unit: 'calls/s',
      bars: [
        { label: 'ours', value: 10, highlight: true },
        { label: 'theirs', value: 5 },
      ],
    },
    { title: 'Latency', unit: 'µs', lowerIsBetter: true, bars: [{ label: 'ours', value: 1 }] },
  ];

  it('renders a bar chart per panel to an SVG document without a browser (vega is an ES module)', async () => {
    const chart = join(__dirname, '..', 'dist', 'suite', 'chart.js');
    const script = `require(${JSON.stringify(chart)}).renderChart('a <title> & more', ${JSON.stringify(panels)}).then((svg) => process.stdout.write(svg))`;
    const { exit, stdout } = await runNode('-e', [script]);
    expect(exit).toBe(0);
    expect(stdout).toMatch(/^<svg[^>]* xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(stdout).toContain('a &lt;title&gt; &amp; more');
    // A panel per measure, each value written out, saying when lower is better.
    expect(stdout).toContain('Latency (lower is better)');
    expect(stdout).toContain('10.0 calls/s');
    expect(stdout).toContain('5.00 calls/s');
  });
});
