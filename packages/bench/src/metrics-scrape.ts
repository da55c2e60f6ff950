import { prometheusSamples } from '@repo/test-kit';

/**
 * The value of counter `name` for `method` (`grpc_method` label) in Prometheus's text format,
 * summed over its other labels; 0 when it has no such series.
 */
export function counterOf(text: string, name: string, method: string): number {
  return prometheusSamples(text, name)
    .filter(({ labels }) => labels.grpc_method === method)
    .reduce((total, { value }) => total + value, 0);
}

/**
 * The calls of `method` (e.g. `helloworld.Greeter/SayHello`) a server of ours has started, read
 * from its `/metrics` (gRFC A66's grpc.server.call.started); undefined when it serves no metrics.
 */
export async function callsStarted(
  metricsPort: number | undefined,
  method: string,
): Promise<number | undefined> {
  if (metricsPort === undefined) return undefined;
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return counterOf(await response.text(), 'grpc_server_call_started_total', method);
}
