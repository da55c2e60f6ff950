import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { waitForServing } from '@repo/client-kit';
import type { StackService } from './services';

export interface RunningService {
  name: string;
  /** host:port clients use. */
  address: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves with the exit code, or the signal name, once the process has exited. */
  exited: Promise<number | string>;
}

export interface StartOptions {
  /** Port per service name; a service not listed gets its default port. */
  ports?: ReadonlyMap<string, number>;
  /** Metrics port per service name; a service not listed gets its default one. */
  metricsPorts?: ReadonlyMap<string, number>;
  /** More environment for every service (OTEL_* variables, say), over this process's. */
  env?: Readonly<Record<string, string>>;
  /** Every line a service writes (its JSON logs, and stderr). */
  onLine: (service: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** Longest wait for a service to be SERVING. */
  startTimeoutMs?: number;
}

/**
 * Starts the services in order, each once the ones before it answer SERVING on grpc.health.v1,
 * and resolves with them running. If one fails to come up, those already started are stopped
 * and the promise rejects with the reason.
 */
export async function startServices(
  services: readonly StackService[],
  options: StartOptions,
): Promise<RunningService[]> {
  const running: RunningService[] = [];
  const addresses = new Map<string, string>();
  try {
    for (const service of services) {
      const started = await startService(service, addresses, options);
      running.push(started);
      addresses.set(service.name, started.address);
    }
    return running;
  } catch (err: unknown) {
    await stopServices(running);
    throw err;
  }
}

async function startService(
  service: StackService,
  addresses: ReadonlyMap<string, string>,
  { ports, metricsPorts, env, onLine, startTimeoutMs = 15_000 }: StartOptions,
): Promise<RunningService> {
  const port = ports?.get(service.name) ?? service.defaultPort;
  const metricsPort = metricsPorts?.get(service.name) ?? service.defaultMetricsPort;
  const child = spawn(process.execPath, [service.entry], {
    env: {
      ...process.env,
      ...env,
      ...service.env(addresses),
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal reaches the stack only, which then stops
    // each service with one SIGTERM (a second signal would cancel in-flight calls).
    detached: true,
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);

  const bound = new Promise<number>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      onLine(service.name, line, 'stdout');
      const port = servingPort(line);
      if (port !== undefined) resolve(port);
    });
  });
  createInterface({ input: child.stderr }).on('line', (line) => onLine(service.name, line, 'stderr'));

  const exitedEarly = exited.then((code) => {
    throw new Error(`${service.name} exited (${code}) before serving`);
  });
  const ready = (async () => {
    const boundPort = await bound;
    const address = `localhost:${boundPort}`;
    await waitForServing(address, { timeoutMs: startTimeoutMs });
    return address;
  })();
  const address = await Promise.race([ready, exitedEarly]);
  exitedEarly.catch(() => {});
  return { name: service.name, address, child, exited };
}

function servingPort(line: string): number | undefined {
  if (!line.includes('"serving"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: string; port?: number };
    return parsed.msg === 'serving' ? parsed.port : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops the services in reverse order with SIGTERM (each shuts down gracefully) and resolves
 * with their exit codes by name.
 */
export async function stopServices(
  running: readonly RunningService[],
): Promise<Map<string, number | string>> {
  const codes = new Map<string, number | string>();
  for (const service of [...running].reverse()) {
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
    codes.set(service.name, await service.exited);
  }
  return codes;
}
