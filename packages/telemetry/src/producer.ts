import { type HrTime, ValueType } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { MetricRegistry } from './registry';

/**
 * What `registry` holds, as the SDK's readers collect it: cumulative points, under the scope
 * `scope`. Every reader exports them as it exports the SDK's own instruments (Prometheus's
 * text, OTLP); a reader that prefers delta temporality still gets them cumulative, which the
 * data says. startTelemetry's readers use it; a process with an OpenTelemetry SDK of its own
 * passes it in its readers' `metricProducers`, from `@repo/telemetry/producer` (which loads the
 * SDK's metrics package, unlike `@repo/telemetry` itself).
 */
export function producerOf(registry: MetricRegistry, scope: string): MetricProducer {
  const startTime = hrTimeOf(registry.startTime);
  return {
    collect: async () => {
      const endTime = hrTimeOf(Date.now());
      const common = { aggregationTemporality: AggregationTemporality.CUMULATIVE };
      const metrics: MetricData[] = [];
      for (const { descriptor, points } of registry.counters) {
        if (points.size === 0) continue;
        metrics.push({
          ...common,
          descriptor: { ...descriptor, valueType: ValueType.INT },
          dataPointType: DataPointType.SUM,
          isMonotonic: true,
          dataPoints: [...points.values()].map(({ attributes, value }) => ({
            attributes,
            startTime,
            endTime,
            value,
          })),
        });
      }
      for (const { descriptor, points } of registry.histograms) {
        if (points.size === 0) continue;
        metrics.push({
          ...common,
          descriptor: { ...descriptor, valueType: ValueType.DOUBLE },
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: [...points.values()].map((point) => ({
            attributes: point.attributes,
            startTime,
            endTime,
            value: {
              buckets: { boundaries: [...point.boundaries], counts: [...point.counts] },
              count: point.count,
              sum: point.sum,
              min: point.min,
              max: point.max,
            },
          })),
        });
      }
      for (const instrument of registry.observed) {
        const dataPoints = [{ attributes: {}, startTime, endTime, value: instrument.read() }];
        const descriptor = { ...instrument.descriptor, valueType: ValueType.INT };
        metrics.push(
          instrument.kind === 'counter'
            ? { ...common, descriptor, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints }
            : { ...common, descriptor, dataPointType: DataPointType.GAUGE, dataPoints },
        );
      }
      return {
        // A reader puts its own resource (the SDK's) on what it collects.
        resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: scope }, metrics }] },
        errors: [],
      };
    },
  };
}

function hrTimeOf(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}
