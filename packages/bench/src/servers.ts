import { join } from 'node:path';
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
 */
export type ContenderName = 'ours-greeter' | 'ours-stream' | 'tutorial' | 'ceiling';

export const CONTENDER_NAMES: readonly ContenderName[] = [
  'ours-greeter',
  'ours-stream',
  'tutorial',
  'ceiling',
];

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
}

const SAY_HELLO = '/helloworld.Greeter/SayHello';
const STREAM_METHODS = ['GetStream', 'PutStream', 'AllStream'].map((m) => `/stream.v1.StreamService/${m}`);
// `../dist/baselines` is the same folder from src/ (tests) and from dist/ (runtime).
const baseline = (file: string) => () => join(__dirname, '..', 'dist', 'baselines', file);

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

export const CONTENDERS: Readonly<Record<ContenderName, Contender>> = {
  'ours-greeter': {
    name: 'ours-greeter',
    entry: () => ours('greeter'),
    env: { LOG_LEVEL: 'info' },
    probe: 'health',
    methods: [SAY_HELLO],
    needsGreeter: false,
  },
  'ours-stream': {
    name: 'ours-stream',
    entry: () => ours('stream'),
    env: { LOG_LEVEL: 'info' },
    probe: 'health',
    methods: STREAM_METHODS,
    needsGreeter: true,
  },
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

export interface StartOptions {
  /** CPU to pin the server to with taskset; unpinned when absent or when taskset is missing. */
  cpu?: number;
  /** Extra environment, applied last (e.g. LOG_LEVEL=warn, or GREETER_ADDR for ours-stream). */
  env?: Record<string, string>;
  /** CPU of the Greeter that ours-stream gets when env has no GREETER_ADDR; default `cpu`. */
  greeterCpu?: number;
  /** How long to wait for readiness, in ms (default 15000). */
  readyTimeoutMs?: number;
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
 * For ours-stream without GREETER_ADDR in `env`, an ours-greeter is started first (pinned to
 * `greeterCpu`, default `cpu`) and stopped with it. Rejects, leaving nothing running, when the
 * server exits or is not ready within `readyTimeoutMs`.
 */
export async function startServer(name: ContenderName, options: StartOptions = {}): Promise<RunningServer> {
  const contender = CONTENDERS[name];
  const { cpu, readyTimeoutMs = 15_000 } = options;
  const env: Record<string, string> = { ...BASE_ENV, ...contender.env, ...options.env };
  let companion: RunningServer | undefined;
  if (contender.needsGreeter && env.GREETER_ADDR === undefined) {
    companion = await startServer('ours-greeter', { cpu: options.greeterCpu ?? cpu, readyTimeoutMs });
    env.GREETER_ADDR = companion.target;
  }
  let spawned: SpawnedProcess | undefined;
  try {
    spawned = spawnNode(contender.entry(), env, cpu);
    const port = await withTimeout(spawned.port, readyTimeoutMs, `${name} announced no port`);
    const target = `127.0.0.1:${port}`;
    await waitUntilReady(contender.probe, target, { timeoutMs: readyTimeoutMs, gaveUp: spawned.hasExited });
    const running = spawned;
    return {
      name,
      pid: running.child.pid as number,
      port,
      target,
      pinnedCpu: running.pinnedCpu,
      logBytes: running.stdoutBytes,
      ...(companion ? { companion } : {}),
      stop: async () => {
        await stopProcess(running);
        await companion?.stop();
      },
    };
  } catch (err: unknown) {
    if (spawned) await stopProcess(spawned, 0);
    await companion?.stop();
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
