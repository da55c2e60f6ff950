import type { ContenderName } from '../src/servers';
import { renderChart } from '../src/suite/chart';
import { BEGIN, END, goalsOf, spliceReport } from '../src/suite/report';
import type { SuiteResult } from '../src/suite/run-suite';
import type { Sample, Scenario } from '../src/suite/scenarios';

const sample = (rate: number, extra: Partial<Sample> = {}): Sample => ({
  rate,
  serverCpuUs: 50,
  serverPeakRssMb: 60,
  errors: {},
  ...extra,
});

function scenario(id: string, servers: ContenderName[]): Scenario {
  return {
    id,
    title: id,
    unit: 'calls/s',
    latency: true,
    servers,
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
  ],
  startup: [{ name: 'ours-greeter', samplesMs: [300, 310, 320], medianMs: 310, pinnedCpu: 0 }],
  pinned: { server: 0, load: 1 },
  seconds: 300,
};

describe('goalsOf', () => {
  const goals = goalsOf(suite);

  it('compares medians of ours with the tutorial and the ceiling', () => {
    expect(goals[0]).toEqual({ goal: expect.stringMatching(/^1\./), measured: '1.00 ×', met: true });
    expect(goals[2]).toEqual({ goal: expect.stringMatching(/^3\./), measured: '0.50 ×', met: false });
    expect(goals[5]).toEqual({ goal: expect.stringMatching(/^6\./), measured: '1.10 ×', met: true });
  });

  it('misses the latency goal when either percentile is over its bound', () => {
    expect(goals[1]).toMatchObject({ measured: 'p50 1.00 ×, p99 1.33 ×', met: false });
  });

  it('reports the hop as AllStream latency over a plain SayHello, without a verdict', () => {
    expect(goals[4]).toMatchObject({
      measured: expect.stringContaining('+500 µs over a plain SayHello'),
      met: undefined,
    });
  });

  it('reports n/a for what was not measured', () => {
    expect(goals[3]?.measured).toContain('GetStream n/a');
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

describe('renderChart', () => {
  const svg = renderChart('a <title> & more', [
    {
      title: 'Throughput',
      unit: 'calls/s',
      bars: [
        { label: 'ours', value: 10, highlight: true },
        { label: 'theirs', value: 5 },
      ],
    },
    { title: 'Latency', unit: 'µs', lowerIsBetter: true, bars: [{ label: 'ours', value: 1 }] },
  ]);

  it('is one SVG document with a bar per value, scaled to the largest of its panel', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="(\d+)" height="20"/g)].map((m) =>
      Number(m[1]),
    );
    expect(widths).toHaveLength(3);
    expect(widths[0]).toBe(2 * (widths[1] as number));
  });

  it('escapes text and says when lower is better', () => {
    expect(svg).toContain('a &#60;title&#62; &#38; more');
    expect(svg).toContain('Latency (lower is better)');
  });
});
