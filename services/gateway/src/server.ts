import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  createBearerCheck,
  type Logger,
  type RunnableServer,
  requestIdFrom,
  ServerCallTelemetry,
  type ServerLimits,
  type ServerTls,
  tlsModeOf,
  UNAUTHENTICATED_DETAILS,
} from '@repo/server-kit';
import type { CallTelemetry } from '@repo/telemetry';
import { AUTHORIZATION_HEADER, REQUEST_ID_HEADER } from '@repo/wire';
import type { Backend } from './backends';
import { REQUEST_RECORD, type RequestRecord } from './call-scope';
import { createCors } from './cors';
import { gatewayError } from './errors';
import { registerForwarding } from './forward';
import { type Handler, type HttpRequest, type HttpResponse, Listener, reply } from './listener';
import { Readiness, registerHealth } from './readiness';
import { serviceOf } from './registry';
import type { StaticFile } from './static-files';

type Request = HttpRequest;
type Response = HttpResponse;

/** How long the statuses of interrupted calls get to reach the wire before connections are dropped. */
const STATUS_FLUSH_MS = 100;
const HEALTH_PATH = '/grpc.health.v1.Health/';

export interface GatewayServerOptions {
  logger: Logger;
  registry: Registry;
  backends: readonly Backend[];
  limits: Pick<
    ServerLimits,
    'maxReceiveMessageBytes' | 'maxSendMessageBytes' | 'maxConcurrentStreams' | 'maxRunningHandlers'
  >;
  /** See GatewayConfig.corsOrigins. */
  corsOrigins?: readonly string[];
  /** The web page, by URL path (see loadStaticFiles); none: only the API. */
  staticFiles?: ReadonlyMap<string, StaticFile>;
  /** Every call but health must carry `authorization: Bearer <it>` (AUTH_TOKEN); unset: none. */
  authToken?: string;
  telemetry?: CallTelemetry;
}

/**
 * The gateway: helloworld.Greeter and stream.v1.StreamService over Connect (JSON and binary),
 * gRPC-Web and gRPC, on HTTP/1.1 and HTTP/2, forwarded to the grpc-js services; grpc.health.v1
 * Check, `/healthz` (alive) and `/readyz` (every backend SERVING); the web page at `/`. Not yet
 * bound: call `listen`, then `shutdown`.
 */
export class GatewayServer implements RunnableServer {
  readonly readiness: Readiness;
  private readonly logger: Logger;
  private readonly backends: readonly Backend[];
  private readonly stopController = new AbortController();
  private readonly listeners: Listener[] = [];
  private readonly handler: Handler;
  private readonly healthHandler: Handler;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(private readonly options: GatewayServerOptions) {
    this.logger = options.logger;
    this.backends = options.backends;
    this.readiness = new Readiness(options.backends);
    const telemetry =
      options.telemetry?.tracer || options.telemetry?.metrics
        ? new ServerCallTelemetry(options.telemetry)
        : undefined;
    const bidiPaths = new Set(
      options.backends.flatMap((backend) =>
        serviceOf(options.registry, backend.serviceName)
          .methods.filter((method) => method.methodKind === 'bidi_streaming')
          .map((method) => `/${method.parent.typeName}/${method.name}`),
      ),
    );
    const adapter = (routes: (router: ConnectRouter) => void) =>
      connectNodeAdapter({
        routes,
        readMaxBytes: options.limits.maxReceiveMessageBytes,
        writeMaxBytes: options.limits.maxSendMessageBytes,
        shutdownSignal: this.stopController.signal,
        contextValues: (req) => createContextValues().set(REQUEST_RECORD, recordOf(req)),
        requestGate: options.authToken ? authGate(options.authToken, options.registry) : undefined,
        fallback: (req, res) => this.fallback(req, res),
      });
    const rpc = adapter((router) => {
      registerHealth(router, options.registry, this.readiness);
      registerForwarding(router, {
        registry: options.registry,
        backends: options.backends,
        logger: options.logger,
        telemetry,
        maxRunningCalls: options.limits.maxRunningHandlers,
      });
    });
    const healthOnly = adapter((router) => registerHealth(router, options.registry, this.readiness));
    const cors = createCors(options.corsOrigins ?? []);
    this.handler = this.wrap((req, res, path) => {
      if (cors(req, res)) return;
      if (this.probe(path, res)) return;
      if (bidiPaths.has(path) && req.httpVersion.startsWith('1.')) {
        // Connect's own answer is a bare 505; say why.
        sendJsonError(
          res,
          505,
          'unimplemented',
          `${path.slice(1)} is bidirectional streaming, which needs HTTP/2 (gRPC, or Connect over HTTP/2); this request came over HTTP/${req.httpVersion}`,
        );
        return;
      }
      rpc(req, res);
    });
    this.healthHandler = this.wrap((req, res, path) => {
      if (this.probe(path, res)) return;
      if (path.startsWith(HEALTH_PATH)) healthOnly(req, res);
      else reply(res, 404);
    });
  }

  async listen(host: string, port: number, tls?: ServerTls): Promise<number> {
    const listener = new Listener(this.handler, this.options.limits, tls);
    const bound = await listener.listen(host, port).catch((err: unknown) => {
      throw new Error(
        `cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    this.listeners.push(listener);
    const services = this.backends.map((backend) => backend.serviceName);
    this.logger.info(
      {
        host,
        port: bound,
        services,
        protocols: ['connect', 'grpc-web', 'grpc'],
        page: (this.options.staticFiles?.size ?? 0) > 0,
        tls: tlsModeOf(tls),
      },
      'serving',
    );
    return bound;
  }

  async listenHealth(host: string, port: number): Promise<number> {
    const listener = new Listener(this.healthHandler, this.options.limits);
    const bound = await listener.listen(host, port);
    this.listeners.push(listener);
    this.logger.info(
      { host, port: bound, services: ['grpc.health.v1.Health'], tls: 'off' },
      'serving health',
    );
    return bound;
  }

  /**
   * Graceful shutdown: not ready at once (/readyz 503, Check NOT_SERVING), no new connections,
   * HTTP/2 clients told to go away; the calls in flight get `graceMs` to finish, then they end
   * with UNAVAILABLE (their backend calls are cancelled) and every connection is closed. The same
   * promise on every call.
   */
  shutdown(graceMs: number): Promise<void> {
    this.shutdownPromise ??= this.drain(graceMs);
    return this.shutdownPromise;
  }

  forceShutdown(): void {
    this.readiness.stop();
    this.stopController.abort(new ConnectError('server shutting down', Code.Unavailable));
    for (const listener of this.listeners) listener.destroy();
  }

  private async drain(graceMs: number): Promise<void> {
    const started = Date.now();
    this.readiness.stop();
    this.logger.info({ graceMs, inFlight: this.inFlight }, 'shutting down');
    for (const listener of this.listeners) listener.close();
    const graceful = await new Promise<boolean>((resolve) => {
      if (this.inFlight === 0) return resolve(true);
      const timer = setTimeout(() => resolve(false), graceMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    if (!graceful) {
      this.logger.warn(
        { graceMs, inFlight: this.inFlight },
        'grace period over, ending the calls still running',
      );
      this.stopController.abort(new ConnectError('server shutting down', Code.Unavailable));
      await sleep(STATUS_FLUSH_MS);
    }
    for (const listener of this.listeners) listener.destroy();
    for (const backend of this.backends) backend.close();
    this.logger.info({ graceful, durationMs: Date.now() - started }, 'shut down');
  }

  /** Counts the request in flight, gives it a request id, and logs it if it ends refused before any call. */
  private wrap(inner: (req: Request, res: Response, path: string) => void): Handler {
    return (req, res) => {
      const started = performance.now();
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const record: RequestRecord = {
        logged: false,
        requestId: requestIdFrom(headerOf(req, REQUEST_ID_HEADER)),
      };
      records.set(req, record);
      res.setHeader(REQUEST_ID_HEADER, record.requestId);
      this.inFlight++;
      res.once('close', () => {
        this.inFlight--;
        if (this.inFlight === 0) this.idle?.();
        if (record.logged || res.statusCode < 400) return;
        this.logger.warn(
          {
            requestId: record.requestId,
            method: path.slice(0, 200),
            httpVersion: req.httpVersion,
            httpStatus: res.statusCode,
            durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          },
          'refused',
        );
      });
      inner(req, res, path);
    };
  }

  /** `/healthz`: the process answers. `/readyz`: it can serve (see Readiness). */
  private probe(path: string, res: Response): boolean {
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return true;
    }
    if (path !== '/readyz') return false;
    this.readiness.report().then(
      (report) => sendJson(res, report.ready ? 200 : 503, report),
      () => sendJson(res, 503, { ready: false }),
    );
    return true;
  }

  private fallback(req: Request, res: Response): void {
    const file =
      req.method === 'GET' || req.method === 'HEAD'
        ? this.options.staticFiles?.get(req.url?.split('?')[0] ?? '')
        : undefined;
    if (!file) {
      reply(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
      return;
    }
    reply(
      res,
      200,
      {
        'content-type': file.type,
        'content-length': file.body.length,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      },
      req.method === 'HEAD' ? undefined : file.body,
    );
  }
}

const records = new WeakMap<object, RequestRecord>();

function recordOf(req: object): RequestRecord {
  return records.get(req) ?? { logged: false, requestId: '' };
}

function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: Response, httpStatus: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  reply(
    res,
    httpStatus,
    { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    text,
  );
}

/** An error in the shape of Connect's unary errors (`{"code": ..., "message": ...}`). */
function sendJsonError(res: Response, httpStatus: number, code: string, message: string): void {
  sendJson(res, httpStatus, { code, message });
}

/** Ends every call but health that lacks `authorization: Bearer <token>`, before its body is read. */
function authGate(token: string, registry: Registry) {
  const isToken = createBearerCheck(token);
  return (ctx: { requestHeader: Headers; method: { parent: { typeName: string } } }) => {
    const domain = ctx.method.parent.typeName;
    if (domain === 'grpc.health.v1.Health') return;
    const authorization = ctx.requestHeader.get(AUTHORIZATION_HEADER);
    if (!isToken(authorization === null ? [] : [authorization])) {
      throw gatewayError(registry, UNAUTHENTICATED_DETAILS, Code.Unauthenticated, {
        reason: 'TOKEN_INVALID',
        domain,
      });
    }
  };
}

export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  return new GatewayServer(options);
}
