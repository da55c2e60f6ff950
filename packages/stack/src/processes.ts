import { type ServiceProcess, startService } from '@repo/runner';
import type { StackService } from './services';

/** A service of the stack, running. */
export interface RunningService {
  name: string;
  /** host:port clients use. */
  address: string;
  process: ServiceProcess;
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

// A service bounds its own graceful shutdown (SHUTDOWN_GRACE_MS); this only guards against a hang.
const KILL_AFTER_MS = 60_000;

/**
 * Starts the services in order, each once the ones before it answer SERVING on grpc.health.v1,
 * and resolves with them running. If one fails to come up, those already started are stopped
 * and the promise rejects with the reason.
 */
export async function startServices(
  services: readonly StackService[],
  { ports, metricsPorts, env, onLine, startTimeoutMs }: StartOptions,
): Promise<RunningService[]> {
  const running: RunningService[] = [];
  const addresses = new Map<string, string>();
  try {
    for (const service of services) {
      const started = await startService(service.entry, {
        env: {
          ...env,
          ...service.env(addresses),
          PORT: String(ports?.get(service.name) ?? service.defaultPort),
          METRICS_PORT: String(metricsPorts?.get(service.name) ?? service.defaultMetricsPort),
        },
        // Its own process group: a Ctrl-C in the terminal reaches the stack only, which then
        // stops each service with one SIGTERM (a second signal would cancel in-flight calls).
        detached: true,
        host: 'localhost',
        onLine: (line, stream) => onLine(service.name, line, stream),
        startTimeoutMs,
      }).catch((err: unknown) => {
        throw new Error(`${service.name}: ${err instanceof Error ? err.message : String(err)}`);
      });
      running.push({ name: service.name, address: started.target, process: started });
      addresses.set(service.name, started.target);
    }
    return running;
  } catch (err: unknown) {
    await stopServices(running);
    throw err;
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
  for (const service of [...running].reverse())
    codes.set(service.name, await service.process.stop(KILL_AFTER_MS));
  return codes;
}
