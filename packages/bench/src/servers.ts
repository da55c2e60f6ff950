import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { GreeterClient } from '@repo/proto';
import { type ReadinessProbe, type ServiceProcess, startService } from '@repo/runner';
import { freePort } from '@repo/test-kit';
import { OtlpSink } from './otlp-sink';
import { pinTo } from './taskset';

/**
 * The servers `pnpm bench` compares, each its own `node` process on 127.0.0.1 with PORT=0, started
 * by @repo/runner: ready once it has announced its port and answered a call (ours: health Check
 * SERVING; the baselines of src/baselines, which have no health: SayHello).
 * `ours-greeter` and `ours-stream` are our services as shipped (metrics on, tracing off); the
 * `-off`, `-traced` and `-otel-grpc` variants switch their telemetry (see Telemetry).
 */
export type ContenderName =
  | 'tutorial'
  | 'ceiling'
  | `ours-${'greeter' | 'stream'}${'' | '-off' | '-traced' | '-otel-grpc'}`;

/**
 * What telemetry one of our services runs with:
 * - `off`: METRICS_PORT=0, no OpenTelemetry SDK at all;
 * - `metrics`: as shipped, `/metrics` served (on a free port), no tracing;
 * - `kit-tracing`: metrics, and a span for every call by the kits, exported over OTLP
 *   http/protobuf to an OtlpSink in the bench's process; no metrics pushed over OTLP;
 * - `instrumentation-grpc`: metrics, the kits' tracing off, and a span for every call by
 *   `@opentelemetry/instrumentation-grpc`, preloaded (src/otel-grpc-preload.ts), exporting the same way.
 */
export type Telemetry = 'off' | 'metrics' | 'kit-tracing' | 'instrumentation-grpc';

export interface Contender {
  /** The script `node` runs; resolved when asked, so a missing build fails with its path. */
  entry(): string;
  /** Ours only: its telemetry. */
  telemetry?: Telemetry;
  /**
   * ours-stream only: it calls helloworld.Greeter at GREETER_ADDR, which startServer provides
   * unless told, with this Greeter (of the same telemetry).
   */
  greeter?: ContenderName;
}

/**
 * The baselines' readiness: SayHello{name:"world"} answered "Hello world", every attempt on one
 * channel (so only the first pays for the connection, as with the runner's health probe).
 */
function sayHelloProbe(): ReadinessProbe & { close(): void } {
  let client: GreeterClient | undefined;
  const probe = (target: string, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      client ??= new GreeterClient(target, credentials.createInsecure(), {
        'grpc.initial_reconnect_backoff_ms': 5,
        'grpc.max_reconnect_backoff_ms': 50,
        'grpc.use_local_subchannel_pool': 1,
      });
      client.sayHello({ name: 'world' }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) =>
        resolve(!err && reply.message === 'Hello world'),
      );
    });
  return Object.assign(probe, { close: () => client?.close() });
}

/**
 * Our service's built entry: this checkout's, or with BENCH_OURS_ROOT the one of another built
 * checkout (a worktree of an older commit), to measure a change against the same baselines.
 */
function ours(service: 'greeter' | 'stream'): string {
  const root = process.env.BENCH_OURS_ROOT;
  return root ? join(root, 'services', service, 'dist', 'main.js') : require.resolve(`@repo/${service}/main`);
}

const VARIANTS: Readonly<Record<Telemetry, string>> = {
  off: '-off',
  metrics: '',
  'kit-tracing': '-traced',
  'instrumentation-grpc': '-otel-grpc',
};

const oursContenders = (['greeter', 'stream'] as const).flatMap((service) =>
  (Object.keys(VARIANTS) as Telemetry[]).map((telemetry): [ContenderName, Contender] => [
    `ours-${service}${VARIANTS[telemetry]}` as ContenderName,
    {
      entry: () => ours(service),
      telemetry,
      ...(service === 'stream' && { greeter: `ours-greeter${VARIANTS[telemetry]}` as ContenderName }),
    },
  ]),
);
// `../dist/baselines` is the same folder from src/ (tests) and from dist/ (runtime).
const baseline = (file: string): Contender => ({
  entry: () => join(__dirname, '..', 'dist', 'baselines', file),
});

export const CONTENDERS: Readonly<Record<ContenderName, Contender>> = {
  ...(Object.fromEntries(oursContenders) as Record<ContenderName, Contender>),
  tutorial: baseline('tutorial-server.js'),
  ceiling: baseline('ceiling-server.js'),
};

/** The preload of the `instrumentation-grpc` variants, built to dist/. */
const OTEL_GRPC_PRELOAD = join(__dirname, '..', 'dist', 'otel-grpc-preload.js');

/** Whether `telemetry` exports spans, and so needs an OTLP endpoint. */
const tracesOf = (telemetry: Telemetry | undefined) =>
  telemetry === 'kit-tracing' || telemetry === 'instrumentation-grpc';

/**
 * The environment of one of our services with `telemetry`: spans to `otlpEndpoint`, `/metrics`
 * on `metricsPort`, and logs at info, their production default.
 */
function telemetryEnv(
  telemetry: Telemetry,
  otlpEndpoint: string | undefined,
  metricsPort: number,
): Record<string, string> {
  const env = { LOG_LEVEL: 'info', METRICS_PORT: telemetry === 'off' ? '0' : String(metricsPort) };
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
  /** Extra environment, applied last (e.g. GREETER_ADDR for ours-stream). */
  env?: Record<string, string>;
  /** Where a traced variant exports its spans; without it, startServer starts an OtlpSink. */
  otlpEndpoint?: string;
}

export interface RunningServer {
  name: ContenderName;
  process: ServiceProcess;
  pid: number;
  /** `127.0.0.1:<port>`, for a grpc-js client or a load generator. */
  target: string;
  /** The CPU it is pinned to, or null when it runs unpinned: reported next to its figures. */
  pinnedCpu: number | null;
  /** The Greeter that startServer started for ours-stream, stopped with it. */
  companion?: RunningServer;
  /** The sink startServer started for a traced variant's spans (its companion's too), closed with it. */
  sink?: OtlpSink;
  /** Ours with metrics on: the port of its `GET /metrics`. */
  metricsPort?: number;
  /** Resolves once the process, its companion and its sink are gone. */
  stop(): Promise<void>;
}

/**
 * Starts `name` and resolves once it is ready. Its stdout is read and discarded for as long as it
 * runs (the runner does that), so a server logging every call pays for writing into a pipe, as
 * under a container runtime, and the reading costs this process. For ours-stream without
 * GREETER_ADDR, an ours-greeter of the same telemetry is started first, on the same CPU, and
 * stopped with it. Rejects, leaving nothing running, when the server does not get ready.
 */
export async function startServer(name: ContenderName, options: StartOptions = {}): Promise<RunningServer> {
  const contender = CONTENDERS[name];
  const sink =
    tracesOf(contender.telemetry) && options.otlpEndpoint === undefined ? await OtlpSink.start() : undefined;
  const otlpEndpoint = options.otlpEndpoint ?? sink?.endpoint;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    ...(contender.telemetry && telemetryEnv(contender.telemetry, otlpEndpoint, await freePort())),
    ...options.env,
  };
  let companion: RunningServer | undefined;
  const probe = contender.telemetry ? undefined : sayHelloProbe();
  try {
    if (contender.greeter && env.GREETER_ADDR === undefined) {
      companion = await startServer(contender.greeter, { cpu: options.cpu, otlpEndpoint });
      env.GREETER_ADDR = companion.target;
    }
    const prefix = await pinTo(options.cpu);
    const started = await startService(contender.entry(), {
      env,
      prefix,
      nodeArgs: contender.telemetry === 'instrumentation-grpc' ? ['--require', OTEL_GRPC_PRELOAD] : [],
      readiness: probe ?? 'serving',
    });
    const metricsPort = Number(env.METRICS_PORT ?? 0);
    const stopCompanion = companion;
    return {
      name,
      process: started,
      pid: started.child.pid as number,
      target: started.target,
      pinnedCpu: prefix.length > 0 ? (options.cpu as number) : null,
      ...(companion && { companion }),
      ...(sink && { sink }),
      ...(metricsPort > 0 && { metricsPort }),
      stop: async () => {
        await started.stop();
        await stopCompanion?.stop();
        await sink?.close();
      },
    };
  } catch (err: unknown) {
    await companion?.stop();
    await sink?.close();
    throw new Error(`cannot start ${name}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  } finally {
    probe?.close();
  }
}

export interface StartupResult {
  name: ContenderName;
  /** Milliseconds from spawn to the first ready answer, one per run, in run order. */
  samplesMs: number[];
  medianMs: number;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Starts `name` `runs` times, one after the other, each stopped before the next, and measures
 * each time from spawn to its first ready answer (asked every 5 ms once the port is announced).
 * For ours-stream, one ours-greeter is started beforehand, outside the clock, and shared.
 */
export async function measureStartup(
  name: ContenderName,
  runs: number,
  cpu?: number,
): Promise<StartupResult> {
  const greeter = CONTENDERS[name].greeter ? await startServer('ours-greeter', { cpu }) : undefined;
  const samplesMs: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const server = await startServer(name, {
        cpu,
        ...(greeter && { env: { GREETER_ADDR: greeter.target } }),
      });
      await server.stop();
      samplesMs.push(server.process.readyAt - server.process.startedAt);
    }
  } finally {
    await greeter?.stop();
  }
  return { name, samplesMs, medianMs: median(samplesMs) };
}
