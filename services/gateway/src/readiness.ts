import { create, type Registry } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { HealthCheckResponse_ServingStatus as Serving } from '@repo/proto';
import type { Backend } from './backends';
import { serviceOf } from './registry';

/** How long one backend health check may take, and how long its answer is reused. */
const CHECK_TIMEOUT_MS = 1_000;
const CACHE_MS = 500;

export interface ReadinessReport {
  ready: boolean;
  /** Each backend's service name, and whether it answered SERVING. */
  backends: Record<string, 'SERVING' | 'NOT_SERVING'>;
}

/**
 * Whether the gateway can serve: it is not shutting down and every backend answers SERVING to
 * grpc.health.v1 Check (asked on demand, at most every CACHE_MS, so that probes from many
 * places cost the backends one check each time).
 */
export class Readiness {
  private stopping = false;
  private cached: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(private readonly backends: readonly Backend[]) {}

  /** From now on, not ready: the gateway is shutting down. */
  stop(): void {
    this.stopping = true;
  }

  report(): Promise<ReadinessReport> {
    const now = performance.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      this.cached = { at: now, report: this.check() };
    }
    const report = this.cached.report;
    return this.stopping ? report.then((r) => ({ ...r, ready: false })) : report;
  }

  private async check(): Promise<ReadinessReport> {
    const answers = await Promise.all(this.backends.map((backend) => backend.isServing(CHECK_TIMEOUT_MS)));
    const backends = Object.fromEntries(
      this.backends.map(
        (backend, i) => [backend.serviceName, answers[i] ? 'SERVING' : 'NOT_SERVING'] as const,
      ),
    );
    return { ready: answers.every(Boolean), backends };
  }
}

/**
 * grpc.health.v1.Health/Check on the gateway itself, over every protocol: '' is the gateway as
 * a whole (ready: see Readiness), a backend's service name that backend; another name is
 * NOT_FOUND. Watch and List are not served (UNIMPLEMENTED): probes use Check.
 */
export function registerHealth(router: ConnectRouter, registry: Registry, readiness: Readiness): void {
  const health = serviceOf(registry, 'grpc.health.v1.Health');
  const check = health.methods.find((method) => method.name === 'Check');
  if (!check) throw new Error('grpc.health.v1.Health has no Check');
  router.rpc(check, (async (request: { service?: string }) => {
    const service = request.service ?? '';
    const report = await readiness.report();
    const serving = service === '' ? report.ready : report.backends[service];
    if (serving === undefined)
      throw new ConnectError(`unknown service ${JSON.stringify(service)}`, Code.NotFound);
    const ok = serving === true || (serving === 'SERVING' && report.ready);
    return create(check.output, { status: ok ? Serving.SERVING : Serving.NOT_SERVING } as never);
  }) as never);
}
