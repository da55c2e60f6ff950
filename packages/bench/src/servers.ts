import { join } from 'node:path';
import { freePort } from '@repo/test-kit';
import { OtlpSink } from './otlp-sink';
import type { ReadinessProbe } from './servers-probe';
import { waitUntilReady } from './servers-probe';
import { type SpawnedProcess, spawnNode, stopProcess } from './servers-spawn';

/**
 * The servers `pnpm bench` compares. Every one runs as its own `node` process on 127.0.0.1 with
 * PORT=0 and announces its port on stdout once bound, in one of two shapes:
 * - ours (services/greeter, services/stream) log JSON lines; the port is in `{"msg":"serving","port":N}`;
 * - the baselines (src/baselines, not product code) print one plain line, `listening <port>`.
 * The port line only says the socket is bound: a contender counts as ready once it has also
 * answered a call (ours: health Check SERVING; baselines, which have no health: SayHello).
 *
 * `ours-greeter` and `ours-stream` are our services as shipped (metrics on, tracing off); the
 * `-off`, `-traced` and `-otel-grpc` variants are the same services with their telemetry switched
 * (see Telemetry), to measure what it costs.
 */
export type ContenderName =
  | 'ours-greeter'
  | 'ours-stream'
  | 'tutorial'
  | 'ceiling'
  | 'ours-greeter-off'
  | 'ours-greeter-traced'
  | 'ours-greeter-otel-grpc'
  | 'ours-stream-off'
  | 'ours-stream-traced'
  | 'ours-stream-otel-grpc';

export const CONTENDER_NAMES: readonly ContenderName[] = [
  'ours-greeter',
  'ours-stream',
  'tutorial',
  'ceiling',
  'ours-greeter-off',
  'ours-greeter-traced',
  'ours-greeter-otel-grpc',
  'ours-stream-off',
  'ours-stream-traced',
  'ours-stream-otel-grpc',
];

/**
 * What telemetry one of our services runs with:
 * - `off`: METRICS_PORT=0, no OpenTelemetry SDK at all;
 * - `metrics`: as shipped, `/metrics` served (on a free port) and the A66 metrics recorded for
 *   every call, no tracing;
 * - `kit-tracing`: metrics, and a span for every call by the kits (OTEL_EXPORTER_OTLP_ENDPOINT,
 *   http/protobuf, default sampler: every call), exported to an OTLP sink in the bench's process;
 *   no metrics pushed over OTLP (OTEL_METRICS_EXPORTER=prometheus);
 * - `instrumentation-grpc`: metrics as shipped, the kits' tracing off, and a span for every call
 *   by `@opentelemetry/instrumentation-grpc`, preloaded (src/otel-grpc-preload.ts) and exporting
 *   the same way to the same kind of sink.
 */
export type Telemetry = 'off' | 'metrics' | 'kit-tracing' | 'instrumentation-grpc';

export interface Contender {
  name: ContenderName;
  /** The script `node` runs; resolved when asked, so a missing build fails with its path. */
  entry(): string;
  /** Environment on top of ours: LOG_LEVEL=info for our services, their production default. */
  env: Readonly<Record<string, string>>;
  probe: ReadinessProbe;
  /** The full method names it serves, e.g. `/helloworld.Greeter/SayHello`. */
  methods: readonly string[];
  /** It calls helloworld.Greeter at GREETER_ADDR, which startServer provides unless told. */
  needsGreeter: boolean;
  /** Ours only: its telemetry (see Telemetry). */
  telemetry?: Telemetry;
  /** The Greeter startServer starts for it (same telemetry); default ours-greeter. */
  greeter?: ContenderName;
}

const SAY_HELLO = '/helloworld.Greeter/SayHello';
const STREAM_METHODS = ['GetStream', 'PutStream', 'AllStream'].map((m) => `/stream.v1.StreamService/${m}`);
// `../dist/baselines` is the same folder from src/ (tests) and from dist/ (runtime).
const baseline = (file: string) => () => join(__dirname, '..', 'dist', 'baselines', file);

/** The preload of the `instrumentation-grpc` variants, built to dist/ (see src/otel-grpc-preload.ts). */
export function otelGrpcPreload(): string {
  return join(__dirname, '..', 'dist', 'otel-grpc-preload.js');
}

/**
 * Our service's built entry: this checkout's, or with BENCH_OURS_ROOT the one of another built
 * checkout (a worktree of an older commit), to measure a change against the same baselines.
 */
function ours(service: 'greeter' | 'stream'): string {
  const root = process.env.BENCH_OURS_ROOT;
  return root
    ? join(root, 'services', service, 'dist', 'main.js')
    : require.resolve(`@repo/${service}/dist/main.js`);
}

const VARIANTS: Readonly<Record<Telemetry, string>> = {
  off: '-off',
  metrics: '',
  'kit-tracing': '-traced',
  'instrumentation-grpc': '-otel-grpc',
};

function oursContender(service: 'greeter' | 'stream', telemetry: Telemetry): Contender {
  const stream = service === 'stream';
  return {
    name: `ours-${service}${VARIANTS[telemetry]}` as ContenderName,
    entry: () => ours(service),
    env: { LOG_LEVEL: 'info' },
    probe: 'health',
    methods: stream ? STREAM_METHODS : [SAY_HELLO],
    needsGreeter: stream,
    telemetry,
    ...(stream ? { greeter: `ours-greeter${VARIANTS[telemetry]}` as ContenderName } : {}),
  };
}

const oursContenders = Object.fromEntries(
  (['greeter', 'stream'] as const).flatMap((service) =>
    (Object.keys(VARIANTS) as Telemetry[]).map((telemetry) => {
      const contender = oursContender(service, telemetry);
      return [contender.name, contender];
    }),
  ),
) as Record<Exclude<ContenderName, 'tutorial' | 'ceiling'>, Contender>;

export const CONTENDERS: Readonly<Record<ContenderName, Contender>> = {
  ...oursContenders,
  tutorial: {
    name: 'tutorial',
    entry: baseline('tutorial-server.js'),
    env: {},
    probe: 'say-hello',
    methods: [SAY_HELLO, ...STREAM_METHODS],
    needsGreeter: false,
  },
  ceiling: {
    name: 'ceiling',
    entry: baseline('ceiling-server.js'),
    env: {},
    probe: 'say-hello',
    methods: [SAY_HELLO, '/stream.v1.StreamService/GetStream'],
    needsGreeter: false,
  },
};

/** Whether `telemetry` exports spans, and so needs an OTLP endpoint. */
export function tracesOf(telemetry: Telemetry | undefined): boolean {
  return telemetry === 'kit-tracing' || telemetry === 'instrumentation-grpc';
}

/**
 * The environment that gives one of our services `telemetry` (see Telemetry), spans exported to
 * `otlpEndpoint` (an OTLP/HTTP base URL), `/metrics` on `metricsPort`.
 */
export function telemetryEnv(
  telemetry: Telemetry,
  otlpEndpoint: string | undefined,
  metricsPort: number,
): Record<string, string> {
  if (telemetry === 'off') return { METRICS_PORT: '0' };
  const env: Record<string, string> = { METRICS_PORT: String(metricsPort) };
  if (!tracesOf(telemetry)) return env;
  if (!otlpEndpoint) throw new Error(`telemetry ${telemetry} needs an OTLP endpoint`);
  if (telemetry === 'instrumentation-grpc') return { ...env, BENCH_OTEL_GRPC_ENDPOINT: otlpEndpoint };
  return {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRICS_EXPORTER: 'prometheus',
  };
}

export interface StartOptions {
  /** CPU to pin the server to with taskset; unpinned when absent or when taskset is missing. */
  cpu?: number;
  /** Extra environment, applied last (e.g. LOG_LEVEL=warn, or GREETER_ADDR for ours-stream). */
  env?: Record<string, string>;
  /** CPU of the Greeter that ours-stream gets when env has no GREETER_ADDR; default `cpu`. */
  greeterCpu?: number;
  /** How long to wait for readiness, in ms (default 15000). */
  readyTimeoutMs?: number;
  /**
   * Where a traced variant exports its spans (an OTLP/HTTP base URL, e.g. test-kit's
   * OtlpReceiver). Without it, startServer starts an OtlpSink for it (RunningServer.sink).
   */
  otlpEndpoint?: string;
}

export interface RunningServer {
  name: ContenderName;
  pid: number;
  port: number;
  /** `127.0.0.1:<port>`, for a grpc-js client or a load generator. */
  target: string;
  /** The CPU it is pinned to, or null when it runs unpinned: report that next to its figures. */
  pinnedCpu: number | null;
  /** The Greeter that startServer started for ours-stream, stopped with it. */
  companion?: RunningServer;
  /** The sink startServer started for a traced variant's spans (its companion's too), closed with it. */
  sink?: OtlpSink;
  /** Ours with metrics on: the port of its `GET /metrics` (on 127.0.0.1). */
  metricsPort?: number;
  /** Bytes it has written to stdout so far (read and discarded): ours log one line per call. */
  logBytes(): number;
  /** SIGTERM, SIGKILL after 5 s; resolves once the process (and any companion) has exited. */
  stop(): Promise<void>;
}

/** Environment every contender gets: loopback only, and a port chosen by the kernel. */
export const BASE_ENV = { HOST: '127.0.0.1', PORT: '0' } as const;

/**
 * Starts `name` as a child process and resolves once it is ready: its port announced and a call
 * answered (see ContenderName). Its stdout is read and discarded for as long as it runs, so a
 * server logging every call (ours at LOG_LEVEL=info) pays for writing its logs into a pipe, as
 * under a container runtime or a log collector, and the reading costs this process, not it.
 * For ours-stream without GREETER_ADDR in `env`, an ours-greeter (of the same telemetry) is
 * started first (pinned to `greeterCpu`, default `cpu`) and stopped with it. A traced variant
 * without `otlpEndpoint` gets an OtlpSink in this process, shared with its Greeter. Rejects,
 * leaving nothing running, when the server exits or is not ready within `readyTimeoutMs`.
 */
export async function startServer(name: ContenderName, options: StartOptions = {}): Promise<RunningServer> {
  const contender = CONTENDERS[name];
  const { cpu, readyTimeoutMs = 15_000 } = options;
  const traced = tracesOf(contender.telemetry);
  const sink = traced && options.otlpEndpoint === undefined ? await OtlpSink.start() : undefined;
  const otlpEndpoint = options.otlpEndpoint ?? sink?.endpoint;
  const env: Record<string, string> = {
    ...BASE_ENV,
    ...contender.env,
    ...(contender.telemetry && telemetryEnv(contender.telemetry, otlpEndpoint, await freePort())),
    ...options.env,
  };
  const nodeArgs = contender.telemetry === 'instrumentation-grpc' ? ['--require', otelGrpcPreload()] : [];
  let companion: RunningServer | undefined;
  let spawned: SpawnedProcess | undefined;
  try {
    if (contender.needsGreeter && env.GREETER_ADDR === undefined) {
      companion = await startServer(contender.greeter ?? 'ours-greeter', {
        cpu: options.greeterCpu ?? cpu,
        readyTimeoutMs,
        ...(otlpEndpoint && { otlpEndpoint }),
      });
      env.GREETER_ADDR = companion.target;
    }
    spawned = spawnNode(contender.entry(), env, cpu, nodeArgs);
    const port = await withTimeout(spawned.port, readyTimeoutMs, `${name} announced no port`);
    const target = `127.0.0.1:${port}`;
    await waitUntilReady(contender.probe, target, { timeoutMs: readyTimeoutMs, gaveUp: spawned.hasExited });
    const running = spawned;
    const started = companion;
    const metricsPort = Number(env.METRICS_PORT ?? 0);
    return {
      name,
      pid: running.child.pid as number,
      port,
      target,
      pinnedCpu: running.pinnedCpu,
      logBytes: running.stdoutBytes,
      ...(started ? { companion: started } : {}),
      ...(sink ? { sink } : {}),
      ...(metricsPort > 0 ? { metricsPort } : {}),
      stop: async () => {
        await stopProcess(running);
        await started?.stop();
        await sink?.close();
      },
    };
  } catch (err: unknown) {
    if (spawned) await stopProcess(spawned, 0);
    await companion?.stop();
    await sink?.close();
    const stderr = spawned?.stderr().trim();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot start ${name}: ${reason}${stderr ? `; stderr: ${stderr}` : ''}`, { cause: err });
  }
}

/** `promise`, or a rejection with `message` after `ms` milliseconds. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
