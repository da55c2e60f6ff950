import { prometheusSamples } from '@repo/test-kit';
import { runH2load } from '../h2load';
import { type LoadOptions, runLoad, startProcessWindow } from '../load';
import type { ContenderName, RunningServer } from '../servers';

/** The CPU the load generators run on; the servers run on SERVER_CPU (see main.ts). */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

/** How long each measurement runs: `pnpm bench`, or a smoke run (`--quick`). */
export interface Timing {
  durationMs: number;
  warmupMs: number;
}

/** One measurement of one server in one scenario. */
export interface Sample {
  /** calls/s for unary, messages/s for streaming kinds. */
  rate: number;
  /** Latency percentiles in µs, where the driver measures them (not h2load). */
  p50?: number;
  p99?: number;
  /** Server CPU time per call or message, µs. */
  serverCpuUs: number;
  /** The server's peak resident set size since it started (VmHWM), MB. */
  serverPeakRssMb: number;
  /** Calls that failed or came back wrong, by status name; a run with any is reported. */
  errors: Record<string, number>;
  /** CPU time per call or message of the server's companion (the Greeter ours-stream calls), µs. */
  companionCpuUs?: number;
  /**
   * Spans the server and its companion exported per SayHello call they served (per call in the
   * unary scenario, per message in AllStream's), where they trace (see spanCounter).
   */
  spansPerUnit?: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** What is counted in `rate`. */
  unit: 'calls/s' | 'messages/s';
  /** Whether its latency percentiles mean something (per call, or per message round trip). */
  latency: boolean;
  /** Ours first, then the baselines, in the order they alternate. */
  servers: ContenderName[];
  /** A comparison of our telemetry variants, the first one telemetry off: reported on its own (see telemetryRows). */
  telemetry?: boolean;
  /** Measurements of each server per round (default 1), going back and forth (see roundOrder). */
  samplesPerRound?: number;
  measure(server: RunningServer, timing: Timing): Promise<Sample>;
}

const MB = 1024 * 1024;

/** The SayHello calls a server of ours has started (gRFC A66's grpc.server.call.started), from its `/metrics`. */
async function sayHellosServed(metricsPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return prometheusSamples(await response.text(), 'grpc_server_call_started_total')
    .filter(({ labels }) => labels.grpc_method === 'helloworld.Greeter/SayHello')
    .reduce((total, { value }) => total + value, 0);
}

/**
 * Spans exported per call by a traced server (and its Greeter): the spans its sink received over
 * an interval, over the SayHello calls its Greeter (or itself) served in it.
 * Spans still in a BatchSpanProcessor's buffer (fewer than 512 per process) arrive later: those
 * of the calls before the interval are counted in it, those of its last calls after it.
 */
async function spanCounter(server: RunningServer): Promise<(() => Promise<number | undefined>) | undefined> {
  const { sink } = server;
  const { metricsPort } = server.companion ?? server;
  if (!sink || metricsPort === undefined) return undefined;
  const [callsBefore, spansBefore] = [await sayHellosServed(metricsPort), sink.spans];
  return async () => {
    const calls = (await sayHellosServed(metricsPort)) - callsBefore;
    return calls > 0 ? (sink.spans - spansBefore) / calls : undefined;
  };
}

/**
 * A run of our load tool against `server`, as a Sample: over its window, the server's CPU time
 * per call or message and its companion's (the Greeter ours-stream calls); and the spans they
 * exported per call when traced, counted from the start of the run (see spanCounter).
 */
async function load(
  server: RunningServer,
  timing: Timing,
  shape: Omit<LoadOptions, 'target'>,
): Promise<Sample> {
  const spans = await spanCounter(server);
  const result = await runLoad({
    ...shape,
    target: server.target,
    durationMs: timing.durationMs,
    warmupMs: timing.warmupMs,
    pids: [server.pid, ...(server.companion ? [server.companion.pid] : [])],
  });
  const spansPerUnit = await spans?.();
  const done = result.messages;
  const [main, companion] = result.processes;
  return {
    rate: result.messagesPerSecond,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpuUs: done > 0 ? ((main?.cpuMs ?? 0) * 1000) / done : Number.NaN,
    serverPeakRssMb: (main?.peakRssBytes ?? 0) / MB,
    errors: { ...result.errors, ...(result.unfinished > 0 ? { UNFINISHED: result.unfinished } : {}) },
    ...(companion && done > 0 && { companionCpuUs: (companion.cpuMs * 1000) / done }),
    ...(spansPerUnit !== undefined && { spansPerUnit }),
  };
}

/**
 * Unary throughput with h2load (a C client that saturates one server core from the other), then
 * one second of our own load tool at the same shape, whose responses are checked: h2load sees
 * HTTP statuses only, not grpc-status.
 */
async function unaryThroughput(server: RunningServer, timing: Timing, useH2load: boolean): Promise<Sample> {
  if (!useH2load) return load(server, timing, { kind: 'unary', connections: 4, streams: 50 });
  const spans = await spanCounter(server);
  const window = startProcessWindow(server.pid);
  const h2 = await runH2load({
    target: server.target,
    connections: 4,
    streams: 50,
    // h2load takes whole seconds.
    durationS: Math.max(1, Math.round(timing.durationMs / 1000)),
    warmupS: Math.round(timing.warmupMs / 1000),
    cpu: LOAD_CPU,
  });
  const used = window();
  if (!used) throw new Error(`${server.name} exited under h2load`);
  const spansPerUnit = await spans?.();
  const check = await runLoad({
    target: server.target,
    kind: 'unary',
    connections: 4,
    streams: 50,
    durationMs: 500,
  });
  const errors: Record<string, number> = { ...check.errors };
  if (h2.failed + h2.errored > 0) errors.HTTP = h2.failed + h2.errored;
  if (check.calls === 0) errors.NO_CHECKED_CALL = 1;
  // The server is saturated during h2load's warm-up and measurement alike: its cores over the
  // whole window, divided by the measured rate, is its CPU time per call.
  return {
    rate: h2.requestsPerSecond,
    serverCpuUs: (used.cores * 1e6) / h2.requestsPerSecond,
    serverPeakRssMb: used.peakRssBytes / MB,
    errors,
    ...(spansPerUnit !== undefined && { spansPerUnit }),
  };
}

/** AllStream through the Greeter hop, 4 connections × 10 streams, one message at a time. */
const ALL_STREAM_4X10 = {
  kind: 'all-stream',
  connections: 4,
  streams: 10,
  messagesPerCall: 1_000_000,
} as const;
const GREETER: ContenderName[] = ['ours-greeter', 'tutorial', 'ceiling'];
const STREAM: ContenderName[] = ['ours-stream', 'tutorial'];
const HOP = 'ours calls the Greeter per message';

/** Every scenario of `pnpm bench`; `useH2load` when h2load is installed. */
export function scenarios(useH2load: boolean): Scenario[] {
  const throughput = (server: RunningServer, timing: Timing) => unaryThroughput(server, timing, useH2load);
  const tool = useH2load ? 'h2load' : 'grpc-load';
  /**
   * A scenario measured by `how`: a function, or the shape of a grpc-load run (named in the title);
   * unless told, its unit and whether its latency is reported follow from its id.
   */
  const scenario = (
    id: string,
    title: string,
    servers: ContenderName[],
    how: Scenario['measure'] | Omit<LoadOptions, 'target'>,
    extra: Partial<Scenario> = {},
  ): Scenario => ({
    id,
    title: typeof how === 'function' ? title : `${title} (grpc-load)`,
    servers,
    measure: typeof how === 'function' ? how : (server, timing) => load(server, timing, how),
    unit: id.includes('unary') ? 'calls/s' : 'messages/s',
    latency: id.endsWith('latency') || id.startsWith('all-stream'),
    ...extra,
  });
  return [
    scenario('unary-throughput', `Unary SayHello, 4 connections × 50 streams (${tool})`, GREETER, throughput),
    scenario('unary-latency', 'Unary SayHello latency, 1 connection × 1 stream', GREETER, { kind: 'unary' }),
    scenario('get-stream', 'GetStream (server streaming), small messages, 1 × 1', [...STREAM, 'ceiling'], {
      kind: 'get-stream',
      messagesPerCall: 10_000,
    }),
    scenario('put-stream', 'PutStream (client streaming), small messages, 1 × 1', STREAM, {
      kind: 'put-stream',
      messagesPerCall: 10_000,
    }),
    scenario('all-stream-latency', `AllStream (bidi), one message at a time, 1 × 1: ${HOP}`, STREAM, {
      kind: 'all-stream',
      messagesPerCall: 1_000_000,
    }),
    scenario(
      'all-stream-throughput',
      `AllStream (bidi), 4 connections × 10 streams: ${HOP}`,
      STREAM,
      ALL_STREAM_4X10,
    ),
    scenario(
      'telemetry-unary',
      `Unary SayHello, 4 × 50 (${tool}), ours by telemetry`,
      ['ours-greeter-off', 'ours-greeter', 'ours-greeter-traced', 'ours-greeter-otel-grpc'],
      throughput,
      // The headline figure, and the one most shaken by a busy machine: twice a round.
      { telemetry: true, samplesPerRound: 2 },
    ),
    scenario(
      'telemetry-all-stream',
      'AllStream (bidi), 4 × 10, a Greeter call per message (grpc-load), ours by telemetry',
      ['ours-stream-off', 'ours-stream', 'ours-stream-traced', 'ours-stream-otel-grpc'],
      // Warmed up by a run of its own, then measured with the spans counted from there: the spans
      // of the warm-up's last calls, still buffered, arrive within the count, about as many as the
      // measured run's last calls leave out of it (at ~4,000 messages/s, not a rounding error).
      async (server, timing) => {
        if (timing.warmupMs > 0)
          await runLoad({ ...ALL_STREAM_4X10, target: server.target, durationMs: timing.warmupMs });
        return load(server, { ...timing, warmupMs: 0 }, ALL_STREAM_4X10);
      },
      { telemetry: true, latency: true },
    ),
  ];
}
