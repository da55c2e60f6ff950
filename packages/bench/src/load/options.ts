/**
 * What one call of the load is:
 * - `unary`: helloworld.Greeter/SayHello;
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
  /** Length of the measured window, in ms (default 10 000; with `count`, an upper bound). */
  durationMs?: number;
  /**
   * Calls to measure, successful or not; the window closes once they have all ended (or once
   * durationMs, when given, has passed).
   */
  count?: number;
  /** Load before the measured window that is not measured, in ms (default 0). */
  warmupMs?: number;
  /** Streaming kinds: messages in each call (default 100). */
  messagesPerCall?: number;
  /** unary, all-stream: the name to greet (default "world"). */
  name?: string;
  /** get-stream, put-stream: the text of every message (default "hello"). */
  text?: string;
  /**
   * get-stream: filler bytes the server adds to each message; put-stream: each message's text is
   * this many bytes of "x" instead of `text` (default 0: `text`).
   */
  payloadBytes?: number;
  /** Deadline of every call, in ms (default none: a deadline costs grpc-js a timer per call). */
  timeoutMs?: number;
  /** A process to measure over the window: the server's CPU time and memory (Linux /proc). */
  serverPid?: number;
  /** More processes measured over the same window (a server's backend, e.g. the Greeter ours-stream calls). */
  otherPids?: number[];
  /** Ends the measured window early; the result covers what was measured until then. */
  signal?: AbortSignal;
  /** Called about once a second while the run lasts. */
  onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  phase: 'warmup' | 'measure';
  /** Time spent in this phase, in seconds. */
  seconds: number;
  /** Calls that ended well in this phase so far. */
  calls: number;
  /** Calls that failed in this phase so far. */
  errors: number;
}

/** What a process used within the measured window. */
export interface ProcessWindow {
  /** CPU time, in milliseconds (10 ms resolution), and as a share of one core over `seconds`. */
  cpuMs: number;
  seconds: number;
  cores: number;
  /** Resident set size at the end of the window, and the largest since the process started, in bytes. */
  rssBytes: number;
  peakRssBytes: number;
}

/** Latency quantiles, mean and maximum, in microseconds. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  kind: LoadKind;
  target: string;
  connections: number;
  streams: number;
  /** Messages in each call: 1 for unary. */
  messagesPerCall: number;
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
  /** What a latency sample is: a whole call, or (all-stream) one message's round trip. */
  latencyOf: 'call' | 'message';
  /** Of successful calls only (or messages, see latencyOf), in microseconds. */
  latency: LatencySummary;
  /** Failed calls within the window, by gRPC status name, or BAD_PAYLOAD for an OK call with a wrong answer. */
  errors: Record<string, number>;
  /**
   * Calls still running 2 s after the window closed, then cancelled (not counted
   * anywhere else). PutStream and AllStream calls stop sending and half-close when the window
   * closes; unary and GetStream calls run their course.
   */
  unfinished: number;
  /** CPU time this process (the load generator) used within the window. */
  loadCpu: { cpuMs: number; cores: number };
  /** What `serverPid` used within the window, when given. */
  server?: ProcessWindow;
  /** What each of `otherPids` used within the window, in the same order, when given. */
  others?: ProcessWindow[];
}

export const LOAD_DEFAULTS = {
  connections: 1,
  streams: 1,
  durationMs: 10_000,
  warmupMs: 0,
  messagesPerCall: 100,
  name: 'world',
  text: 'hello',
  payloadBytes: 0,
} as const;

type Optional = 'count' | 'durationMs' | 'timeoutMs' | 'serverPid';

/** LoadOptions with every default applied: durationMs is undefined only when measuring by count alone. */
export type LoadSettings = Required<Omit<LoadOptions, Optional | 'signal' | 'onProgress'>> &
  Pick<LoadOptions, Optional>;

/** The integer options and their least value. */
const MINIMUMS = {
  connections: 1,
  streams: 1,
  durationMs: 1,
  count: 1,
  warmupMs: 0,
  messagesPerCall: 1,
  payloadBytes: 0,
  timeoutMs: 1,
  serverPid: 1,
} as const;

/** Applies the defaults; throws a RangeError naming the first option out of range. */
export function resolveLoadOptions(options: LoadOptions): LoadSettings {
  if (!LOAD_KINDS.includes(options.kind)) {
    throw new RangeError(`kind must be one of ${LOAD_KINDS.join(', ')}, got ${String(options.kind)}`);
  }
  if (!options.target) throw new RangeError('target must not be empty');
  const integers = [
    ...Object.entries(MINIMUMS).map(
      ([option, min]) => [option, options[option as keyof typeof MINIMUMS], min] as const,
    ),
    ...(options.otherPids ?? []).map((pid) => ['otherPids', pid, 1] as const),
  ];
  for (const [option, value, min] of integers) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new RangeError(`${option} must be an integer of at least ${min}, got ${value}`);
    }
  }
  const given: Partial<LoadOptions> = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  return {
    ...LOAD_DEFAULTS,
    otherPids: [],
    ...given,
    target: options.target,
    kind: options.kind,
    durationMs: options.durationMs ?? (options.count === undefined ? LOAD_DEFAULTS.durationMs : undefined),
  };
}
