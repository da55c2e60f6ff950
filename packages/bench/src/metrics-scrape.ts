/**
 * The value of counter `name` for `method` (`grpc_method` label) in Prometheus's text format,
 * summed over its other labels; 0 when it has no such series.
 */
export function counterOf(text: string, name: string, method: string): number {
  let total = 0;
  const label = `grpc_method="${method}"`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const labels = close === -1 ? '' : line.slice(name.length, close + 1);
    if (!labels.includes(label)) continue;
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) total += value;
  }
  return total;
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
