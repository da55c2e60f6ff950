import { constants as http2Constants, type ServerHttp2Session } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChannelOptions,
  Server,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadPackageDefinition } from '@repo/proto';
import type { CallTelemetry, MetricRegistry } from '@repo/telemetry';
import { createAuthInterceptor } from './auth';
import { createCallLogInterceptor } from './call-log';
import { OTHER_METHOD, recordCallEnd, ServerCallTelemetry, type ServerMetrics } from './call-telemetry';
import { guardService } from './error-boundary';
import { HandlerGauge } from './handler-gauge';
import { HealthStatuses, type ServingStatus } from './health';
import { grpcOptionsOf, limitsWith, type ServerLimits } from './limits';
import type { Logger } from './logger';
import { enforcePingPolicy, http2ServersOf, type PingPolicy } from './ping-policy';
import { trackSession } from './round-trip';
import { type ServerTls, serverCredentialsOf, tlsModeOf } from './tls';

const HEALTH_SERVICE = 'grpc.health.v1.Health';
/** How long the statuses of interrupted calls get to reach the wire before connections are dropped. */
const STATUS_FLUSH_MS = 100;

export interface ServiceRegistration {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface CreateServerOptions {
  services: ServiceRegistration[];
  logger: Logger;
  /** What clients may use (message sizes, streams, running handlers, keepalive); LIMIT_DEFAULTS for the rest. */
  limits?: Partial<ServerLimits>;
  /** More grpc-js server options, applied over those the limits give. */
  serverOptions?: ChannelOptions;
  /**
   * When set, every call but health and reflection must carry `authorization: Bearer <it>`,
   * else it ends with UNAUTHENTICATED before its handler runs (see createAuthInterceptor).
   */
  authToken?: string;
  /** Closed after the server has shut down: the service's own clients, pools, ... */
  onClose?: () => void | Promise<void>;
  /**
   * Spans (`tracer`) and gRPC's standard metrics (`metrics`) for every call: see
   * ServerCallTelemetry. Without it, neither is recorded and neither costs anything.
   */
  telemetry?: CallTelemetry;
  /** A successful unary call that took longer is logged at info, not debug (default SLOW_CALL_MS). */
  slowCallMs?: number;
}

/** The fully-qualified name of the service a definition belongs to (`helloworld.Greeter`). */
export function serviceNameOf(definition: ServiceDefinition): string {
  const [first] = Object.values(definition);
  if (!first) throw new Error('a service definition needs at least one method');
  return first.path.split('/')[1] ?? '';
}

/**
 * A gRPC server with the given services, plus grpc.health.v1 and server reflection (v1 and
 * v1alpha) for all of them, every call logged and every handler guarded. It does not bind:
 * call `listen`, then `shutdown`.
 */
export class GrpcServer {
  readonly server: Server;
  readonly health = new HealthStatuses();
  readonly logger: Logger;
  /** Handlers still doing work for their call, at most `limits.maxRunningHandlers`. */
  readonly handlers: HandlerGauge;
  readonly limits: Readonly<ServerLimits>;
  readonly serviceNames: readonly string[];
  private readonly onClose: (() => void | Promise<void>) | undefined;
  private readonly metrics: ServerMetrics | undefined;
  /** Every method path registered (ours, health, reflection): any other is counted as OTHER_METHOD. */
  private readonly methodPaths: ReadonlySet<string>;
  private shutdownPromise: Promise<void> | undefined;
  /** The plaintext health-only server of listenHealth, when there is one. */
  private healthServer: Server | undefined;
  /**
   * The open connections. grpc-js's forceShutdown destroys only those it tracks for channelz,
   * which is off here (grpc-js 1.14): the others are destroyed by forceClose.
   */
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor({
    services,
    logger,
    limits,
    serverOptions,
    authToken,
    onClose,
    telemetry,
    slowCallMs,
  }: CreateServerOptions) {
    this.logger = logger;
    this.onClose = onClose;
    this.limits = Object.freeze(limitsWith(limits));
    this.handlers = new HandlerGauge(this.limits.maxRunningHandlers);
    const callTelemetry = telemetry && new ServerCallTelemetry(telemetry);
    this.metrics = callTelemetry?.metrics;
    if (telemetry?.metrics) observeHandlers(telemetry.metrics, this.handlers);
    // The call log comes first: it sees each call before authentication, so rejected calls are
    // logged, and it receives grpc-js's base call, whose message sizes it counts.
    const interceptors = [createCallLogInterceptor(logger, callTelemetry, slowCallMs)];
    if (authToken !== undefined) interceptors.push(createAuthInterceptor(authToken));
    this.server = new Server({
      // Nothing here serves channelz, and grpc-js keeps its per-call and per-connection counts by
      // default: a few µs per call (BENCHMARKS.md).
      'grpc.enable_channelz': 0,
      ...grpcOptionsOf(this.limits),
      ...serverOptions,
      interceptors,
    });
    this.methodPaths = trackRegisteredPaths(this.server);
    this.serviceNames = services.map(({ definition }) => serviceNameOf(definition));
    for (const { definition, implementation } of services) {
      this.server.addService(definition, guardService(definition, implementation, logger, this.handlers));
    }
    // Until bound, every service is NOT_SERVING; the overall status ('') follows them.
    this.setStatus('NOT_SERVING');
    this.health.addToServer(this.server);
    // Reflection describes what this server serves, not every service in protos/.
    new ReflectionService(loadPackageDefinition(), {
      services: [...this.serviceNames, HEALTH_SERVICE],
    }).addToServer(this.server);
  }

  /**
   * Binds (plaintext without `tls`, TLS with it, mTLS with its client CA: see readServerTls),
   * marks every service SERVING, and resolves with the bound port.
   */
  async listen(host: string, port: number, tls?: ServerTls): Promise<number> {
    const bound = await bind(this.server, host, port, tls, '');
    const pings: PingPolicy = this.limits;
    for (const http2Server of http2ServersOf(this.server)) {
      http2Server.on('session', (session) => {
        this.sessions.add(session);
        session.once('close', () => this.sessions.delete(session));
        enforcePingPolicy(session, pings, this.logger);
        // messagesOf pings a client whose stream ended, to see whether a reset follows (see roundTrip).
        trackSession(session);
      });
      const metrics = this.metrics;
      if (metrics) {
        // grpc-js answers a method it does not serve with UNIMPLEMENTED itself, before any
        // interceptor: counted here, under one name whatever the path (gRFC A66).
        http2Server.on('stream', (_stream, headers) => {
          const path = headers[':path'];
          if (typeof path !== 'string' || this.methodPaths.has(path)) return;
          if (!String(headers['content-type'] ?? '').startsWith('application/grpc')) return;
          const points = metrics.of(OTHER_METHOD);
          points.started.add(1);
          recordCallEnd(points, status.UNIMPLEMENTED, 0, 0, 0);
        });
      }
    }
    this.setStatus('SERVING');
    this.logger.info({ host, port: bound, services: this.serviceNames, tls: tlsModeOf(tls) }, 'serving');
    return bound;
  }

  /**
   * Also serves grpc.health.v1, and nothing else, in plaintext on `host:port` (0: a free one),
   * with the same statuses as the main port; resolves with the bound port. For probes that
   * cannot speak TLS (the kubelet's gRPC probe) when the main port has TLS on: a health answer
   * carries no data worth protecting. It closes with the server, after the main port.
   */
  async listenHealth(host: string, port: number): Promise<number> {
    const server = new Server(grpcOptionsOf(this.limits));
    this.health.addToServer(server);
    const bound = await bind(server, host, port, undefined, ' for health');
    this.healthServer = server;
    this.logger.info({ host, port: bound, services: [HEALTH_SERVICE], tls: 'off' }, 'serving health');
    return bound;
  }

  /**
   * Graceful shutdown: NOT_SERVING at once, no new calls, in-flight calls get `graceMs` to
   * finish; then the calls whose handlers still run end with UNAVAILABLE "server shutting down"
   * (their signalOf fires), and whatever else is open (a health Watch) is cancelled. Safe to
   * call more than once; every call returns the same promise.
   */
  shutdown(graceMs: number): Promise<void> {
    this.shutdownPromise ??= this.drain(graceMs);
    return this.shutdownPromise;
  }

  /** Cancels every call and closes at once (a second Ctrl-C). */
  forceShutdown(): void {
    this.setStatus('NOT_SERVING');
    this.forceClose();
    this.healthServer?.forceShutdown();
  }

  /** Closes the port and destroys every connection, cancelling the calls still open on them. */
  private forceClose(): void {
    this.server.forceShutdown();
    // Each call still open gets RST_STREAM CANCEL (its client sees CANCELLED); grpc-js listens for
    // the error this emits on each of its streams.
    const error = new Error('server shut down');
    for (const session of this.sessions) session.destroy(error, http2Constants.NGHTTP2_CANCEL);
  }

  private async drain(graceMs: number): Promise<void> {
    const started = Date.now();
    this.setStatus('NOT_SERVING');
    this.logger.info({ graceMs, runningHandlers: this.handlers.running }, 'shutting down');
    const graceful = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!graceful) {
      this.logger.warn(
        { graceMs, runningHandlers: this.handlers.running },
        'grace period over, ending the calls still running',
      );
      if (this.handlers.interruptAll() > 0) await sleep(STATUS_FLUSH_MS);
      this.forceClose();
    }
    // Probes on the health port see NOT_SERVING until the main port is closed.
    this.healthServer?.forceShutdown();
    await this.onClose?.();
    const { peak, refused } = this.handlers;
    this.logger.info(
      { graceful, durationMs: Date.now() - started, peakRunningHandlers: peak, refusedCalls: refused },
      'shut down',
    );
  }

  private setStatus(status: ServingStatus): void {
    for (const service of ['', ...this.serviceNames]) this.health.set(service, status);
  }
}

/** Binds `server` on `host:port` and resolves with the port; `purpose` completes the error message. */
function bind(
  server: Server,
  host: string,
  port: number,
  tls: ServerTls | undefined,
  purpose: string,
): Promise<number> {
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, serverCredentialsOf(tls), (err, boundPort) =>
      err ? reject(new Error(`cannot listen on ${address}${purpose}: ${err.message}`)) : resolve(boundPort),
    );
  });
}

/** Records the path of every method registered on `server` from now on. */
function trackRegisteredPaths(server: Server): ReadonlySet<string> {
  const paths = new Set<string>();
  const register = server.register.bind(server) as (name: string, ...rest: unknown[]) => boolean;
  (server as { register: (name: string, ...rest: unknown[]) => boolean }).register = (name, ...rest) => {
    paths.add(name);
    return register(name, ...rest);
  };
  return paths;
}

/** What the handler gauge counts, read at each collection: nothing is added to a call's path. */
function observeHandlers(registry: MetricRegistry, handlers: HandlerGauge): void {
  registry.observe(
    {
      name: 'server_kit.running_handlers',
      unit: '{handler}',
      description: 'Handlers still doing work for their call (limit: MAX_RUNNING_HANDLERS).',
    },
    'gauge',
    () => handlers.running,
  );
  registry.observe(
    {
      name: 'server_kit.refused_calls',
      unit: '{call}',
      description:
        'Calls refused with RESOURCE_EXHAUSTED because MAX_RUNNING_HANDLERS handlers were running.',
    },
    'counter',
    () => handlers.refused,
  );
}

export function createServer(options: CreateServerOptions): GrpcServer {
  return new GrpcServer(options);
}
