import { setTimeout as sleep } from 'node:timers/promises';
import { OtlpReceiver } from '@repo/test-kit';
import { run } from './compose';

/** Prometheus of the compose file's `observability` profile, as published on the host. */
const PROMETHEUS = 'http://127.0.0.1:9090';

/**
 * An OTLP receiver the containers reach as `host.docker.internal` (`extra_hosts: host-gateway`).
 * On Linux, Docker maps host-gateway to its default bridge's address on this host (docker0,
 * usually 172.17.0.1): the receiver listens there, on no public interface. Docker Desktop runs
 * the engine in a VM, so that address is not this host's and cannot be bound; there
 * host.docker.internal leads to the host's loopback, where the receiver listens instead.
 */
export async function startReceiverForContainers(): Promise<OtlpReceiver> {
  const gateway = await bridgeGateway();
  if (gateway) {
    try {
      return await OtlpReceiver.start(gateway);
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw err;
    }
  }
  return OtlpReceiver.start('127.0.0.1');
}

/** The IPv4 gateway of Docker's default bridge: as configured, or the first address of its subnet. */
async function bridgeGateway(): Promise<string | undefined> {
  const inspect = await run(
    'docker',
    ['network', 'inspect', 'bridge', '--format', '{{range .IPAM.Config}}{{.Gateway}},{{.Subnet}};{{end}}'],
    {},
    30_000,
  );
  if (inspect.exit !== 0) throw new Error(`docker network inspect bridge: ${inspect.stderr}`);
  const ipv4 = /^\d+\.\d+\.\d+\.\d+$/;
  for (const range of inspect.stdout.trim().split(';')) {
    // Some engines leave the gateway out (`,172.17.0.0/16`): Docker then takes the subnet's first.
    const [gateway = '', subnet = ''] = range.split(',');
    if (ipv4.test(gateway)) return gateway;
    const network = subnet.split('/')[0] ?? '';
    if (ipv4.test(network)) {
      const octets = network.split('.').map(Number);
      octets[3] = (octets[3] ?? 0) + 1;
      return octets.join('.');
    }
  }
  return undefined;
}

/** A container's address on its compose network. */
export async function addressOf(container: string): Promise<string> {
  const result = await run(
    'docker',
    ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container],
    {},
    30_000,
  );
  if (result.exit !== 0 || result.stdout.trim() === '') {
    throw new Error(`no address for ${container}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** `GET` of Prometheus's HTTP API (`/api/v1/...`): its `data`, or an error with its answer. */
async function prometheusApi<T>(path: string): Promise<T> {
  const response = await fetch(`${PROMETHEUS}${path}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${response.status} ${body.error}`);
  return body.data;
}

export interface ActiveTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export async function activeTargets(): Promise<ActiveTarget[]> {
  return (await prometheusApi<{ activeTargets: ActiveTarget[] }>('/api/v1/targets?state=active'))
    .activeTargets;
}

/** An instant query: each series' labels and value. */
export async function query(
  expression: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const data = await prometheusApi<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent(expression)}`,
  );
  return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
}

/**
 * Calls `read` every second until `done` holds for what it returns (a failed read counts as not
 * done: Prometheus may still be starting); throws with the last answer after `timeoutMs`.
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = value;
    } catch (err: unknown) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await sleep(1_000);
  }
}
