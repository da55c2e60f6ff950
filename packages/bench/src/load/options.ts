/**
 * What one call of the load is:
 * - `unary`: helloworld.Greeter/SayHello{name: "world"};
 * - `get-stream`: stream.v1.StreamService/GetStream, one request answered by `messagesPerCall` messages;
 * - `put-stream`: PutStream, `messagesPerCall` messages answered by one summary;
 * - `all-stream`: AllStream, `messagesPerCall` names sent one at a time, each answered (through a
 *   Greeter call made by the stream service) before the next is sent.
 */
export type LoadKind = 'unary' | 'get-stream' | 'put-stream' | 'all-stream';

export const LOAD_KINDS: readonly LoadKind[] = ['unary', 'get-stream', 'put-stream', 'all-stream'];

export interface LoadOptions {
  /** host:port (or any grpc-js target) of the server; plaintext. */
  target: string;
  kind: LoadKind;
  /** Separate HTTP/2 connections, each its own grpc-js channel (default 1). */
  connections?: number;
  /** Calls kept outstanding on each connection: a closed loop, a call starts when one ends (default 1). */
  streams?: number;
  /** Length of the measured window, in ms (default 10 000). */
  durationMs?: number;
  /** Load before the measured window that is not measured, in ms (default 0). */
  warmupMs?: number;
  /** Streaming kinds: messages in each call (default 100). */
  messagesPerCall?: number;
  /** Processes measured over the window (Linux /proc): the server, and any backend it calls. */
  pids?: number[];
}

/** LoadOptions with every default applied. */
export type LoadSettings = Required<LoadOptions>;

export const LOAD_DEFAULTS = {
  connections: 1,
  streams: 1,
  durationMs: 10_000,
  warmupMs: 0,
  messagesPerCall: 100,
  pids: [],
} as const satisfies Omit<LoadSettings, 'target' | 'kind'>;

/** What a process used within the measured window. */
export interface ProcessWindow {
  pid: number;
  /** CPU time, in milliseconds (10 ms resolution), and as a share of one core over the window. */
  cpuMs: number;
  cores: number;
  /** The largest resident set size since the process started (VmHWM), in bytes. */
  peakRssBytes: number;
}

/** Latency quantiles, mean and maximum, in microseconds. */
export type LatencySummary = Record<'p50' | 'p90' | 'p99' | 'max' | 'mean', number>;

export interface LoadResult extends Omit<LoadSettings, 'durationMs' | 'warmupMs' | 'pids'> {
  /** Length of the measured window, in seconds. */
  seconds: number;
  /** Calls that ended OK with the expected payload within the window. */
  calls: number;
  /**
   * Messages within the window: the replies of unary calls, GetStream and AllStream messages as they
   * arrive and check out, PutStream messages once the summary confirms them.
   */
  messages: number;
  callsPerSecond: number;
  messagesPerSecond: number;
  /** Of successful calls (all-stream: of message round trips), in microseconds. */
  latency: LatencySummary;
  /** Failed calls within the window, by gRPC status name, or BAD_PAYLOAD for an OK call with a wrong answer. */
  errors: Record<string, number>;
  /**
   * Calls still running 2 s after the window closed, then cancelled (not counted anywhere else).
   * PutStream and AllStream calls stop sending and half-close when the window closes; unary and
   * GetStream calls run their course.
   */
  unfinished: number;
  /** CPU time this process (the load generator) used within the window, in ms. */
  loadCpuMs: number;
  /** What each of `pids` used within the window, in the same order; null for one that has gone. */
  processes: (ProcessWindow | null)[];
}

/** Applies the defaults; throws a RangeError naming the first option out of range. */
export function resolveLoadOptions(options: LoadOptions): LoadSettings {
  if (!LOAD_KINDS.includes(options.kind)) {
    throw new RangeError(`kind must be one of ${LOAD_KINDS.join(', ')}, got ${String(options.kind)}`);
  }
  if (!options.target) throw new RangeError('target must not be empty');
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const settings: LoadSettings = { ...LOAD_DEFAULTS, ...given, target: options.target, kind: options.kind };
  const minimums = { connections: 1, streams: 1, durationMs: 1, warmupMs: 0, messagesPerCall: 1 };
  for (const [option, min] of Object.entries(minimums)) {
    const value = settings[option as keyof typeof minimums];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`${option} must be an integer of at least ${min}, got ${value}`);
    }
  }
  return settings;
}
