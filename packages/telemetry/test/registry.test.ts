import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  MeterProvider,
  MetricReader,
  type ScopeMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { MetricRegistry } from '../src';
import { producerOf } from '../src/producer';

/** A reader that collects when asked, as the Prometheus reader does at a scrape. */
class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const BOUNDARIES = [0, 0.001, 0.01, 0.1, 1, 10];

/** A registry and the SDK's own instruments, read by one reader. */
async function collectBoth(record: (registry: MetricRegistry, provider: MeterProvider) => void) {
  const registry = new MetricRegistry();
  const reader = new PullReader({ metricProducers: [producerOf(registry, 'ours')] });
  const provider = new MeterProvider({ readers: [reader] });
  record(registry, provider);
  const { resourceMetrics, errors } = await reader.collect();
  await provider.shutdown();
  expect(errors).toEqual([]);
  const scope = (name: string): ScopeMetrics =>
    resourceMetrics.scopeMetrics.find((metrics) => metrics.scope.name === name) ?? {
      scope: { name },
      metrics: [],
    };
  return { ours: scope('ours'), sdk: scope('sdk') };
}

describe('MetricRegistry, read through a MetricProducer', () => {
  it('aggregates a histogram exactly as the SDK does, for any values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...BOUNDARIES), fc.double({ min: 0, max: 20, noNaN: true })), {
          minLength: 1,
          maxLength: 50,
        }),
        async (values) => {
          const { ours, sdk } = await collectBoth((registry, provider) => {
            const descriptor = { name: 'latency', unit: 's', description: 'Latency.' };
            const point = registry.histogram(descriptor, BOUNDARIES).point('a', () => ({ method: 'a' }));
            const histogram = provider
              .getMeter('sdk')
              .createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: BOUNDARIES } });
            for (const value of values) {
              point.record(value);
              histogram.record(value, { method: 'a' });
            }
          });
          const [mine] = ours.metrics as HistogramMetricData[];
          const [theirs] = sdk.metrics as HistogramMetricData[];
          expect(mine?.dataPointType).toBe(DataPointType.HISTOGRAM);
          expect(mine?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
          expect(mine?.dataPoints[0]?.attributes).toEqual({ method: 'a' });
          const { sum, ...rest } = mine?.dataPoints[0]?.value ?? { sum: 0 };
          const { sum: sdkSum, ...sdkRest } = theirs?.dataPoints[0]?.value ?? { sum: 0 };
          expect(rest).toEqual(sdkRest);
          expect(sum).toBeCloseTo(sdkSum ?? 0, 9);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('exports counters and observed values, one series per key, and skips series never used', async () => {
    let running = 2;
    const { ours } = await collectBoth((registry) => {
      const started = registry.counter({ name: 'started', unit: '{call}', description: 'Started.' });
      started.point('a', () => ({ method: 'a' })).add(2);
      started.point('a', () => ({ method: 'not made again' })).add(1);
      started.point('b', () => ({ method: 'b' })).add(5);
      registry.histogram({ name: 'unused', unit: 's', description: 'Never recorded.' }, BOUNDARIES);
      registry.observe(
        { name: 'running', unit: '{handler}', description: 'Running.' },
        'gauge',
        () => running,
      );
      // A second server in the process adds its own reading.
      registry.observe({ name: 'running', unit: '{handler}', description: 'Running.' }, 'gauge', () => 1);
      running = 3;
    });
    const byName = new Map(ours.metrics.map((metric) => [metric.descriptor.name, metric]));
    expect([...byName.keys()].sort()).toEqual(['running', 'started']);
    const started = byName.get('started') as SumMetricData;
    expect(started.isMonotonic).toBe(true);
    expect(started.dataPoints.map(({ attributes, value }) => [attributes, value])).toEqual([
      [{ method: 'a' }, 3],
      [{ method: 'b' }, 5],
    ]);
    expect(byName.get('running')?.dataPointType).toBe(DataPointType.GAUGE);
    expect(byName.get('running')?.dataPoints[0]?.value).toBe(4);
  });

  it('gives the same instrument for the same name, and refuses one name for two kinds', () => {
    const registry = new MetricRegistry();
    const descriptor = { name: 'calls', unit: '{call}', description: 'Calls.' };
    expect(registry.counter(descriptor)).toBe(registry.counter(descriptor));
    expect(() => registry.histogram(descriptor, BOUNDARIES)).toThrow(
      'metric calls is already registered as another kind of instrument',
    );
    registry.observe({ ...descriptor, name: 'now' }, 'gauge', () => 1);
    expect(() => registry.observe({ ...descriptor, name: 'now' }, 'counter', () => 1)).toThrow(
      'metric now is already a gauge',
    );
  });
});
