import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type ReadinessProbe, waitForServing } from './serving';

/** A service process, from the moment it is ready until it is stopped. */
export interface ServiceProcess {
  child: ChildProcess & { stdout: Readable; stderr: Readable };
  /** The port its ready line announced. */
  port: number;
  /** `host:port`, for clients. */
  target: string;
  /** performance.now() at spawn and when it was ready, in ms: start-up time is the difference. */
  startedAt: number;
  readyAt: number;
  /** Resolves with the exit code, or the signal name, once the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last 64 KiB of its stderr, for error messages. */
  stderr(): string;
  /** Bytes it has written to stdout so far: its log volume. */
  stdoutBytes(): number;
  /**
   * SIGCONT (a test may have stopped it), SIGTERM, then SIGKILL if it is still alive after
   * `killAfterMs`; resolves with the exit code or signal. Safe to call after it has exited.
   */
  stop(killAfterMs?: number): Promise<number | string>;
}

/** When a process counts as ready. */
export type Readiness =
  /** Once it announces its port. */
  | 'announced'
  /** Once it announces its port and its grpc.health.v1 Check answers SERVING (the default). */
  | 'serving'
  /** Once it announces its port and this probe says it is ready. */
  | ReadinessProbe;

export interface StartOptions {
  /** More environment, over this process's. */
  env?: Readonly<Record<string, string>>;
  /** Node.js flags, before the entry point. */
  nodeArgs?: readonly string[];
  /** A command that execs the rest, such as `['taskset', '-c', '0']`. */
  prefix?: readonly string[];
  /** An IPC channel (fd 3) to the process, for `child.send`. */
  ipc?: boolean;
  /** Its own process group, so that a Ctrl-C in the terminal does not reach it directly. */
  detached?: boolean;
  /** The port a stdout line announces, or null (default: our services' JSON `serving` line). */
  readyLine?: (line: string) => number | null;
  readiness?: Readiness;
  /** The host clients use (default 127.0.0.1). */
  host?: string;
  /**
   * Every line of stdout and stderr. Without it, stdout is only counted once the ready line is
   * seen: the process writes into a pipe that is emptied promptly, as a container runtime would.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Longest wait from spawn to ready, in ms (default 15000). */
  startTimeoutMs?: number;
}

const STDERR_KEPT = 64 * 1024;
// A line longer than this is not a ready line; it is dropped rather than kept growing.
const LONGEST_LINE = 1024 * 1024;

/** Our services' ready line: `{"msg":"serving","port":N,...}`. */
function servingLinePort(line: string): number | null {
  if (!line.startsWith('{') || !line.includes('"serving"')) return null;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return parsed.msg === 'serving' && typeof parsed.port === 'number' ? parsed.port : null;
  } catch {
    return null;
  }
}

/**
 * Starts `node <nodeArgs> <entry>` and resolves once it is ready (see Readiness). Rejects, with
 * the process stopped, when it exits first or is not ready within `startTimeoutMs`.
 */
export async function startService(entry: string, options: StartOptions = {}): Promise<ServiceProcess> {
  const { readyLine = servingLinePort, readiness = 'serving', host = '127.0.0.1', onLine } = options;
  const { startTimeoutMs = 15_000 } = options;
  const argv = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), entry];
  const startedAt = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    detached: options.detached,
  }) as ServiceProcess['child'];

  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve(code ?? signal ?? 'unknown');
    });
    // A command that could not be spawned at all emits 'error' and never 'exit'.
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      exitedFlag = true;
      resolve(err.message);
    });
  });

  let stderr = '';
  const stderrLines = new LineSplitter((line) => onLine?.(line, 'stderr'));
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr = (stderr + text).slice(-STDERR_KEPT);
    if (onLine) stderrLines.push(text);
  });

  // What it wrote before it was ready: why it exited, when it did (our services log it as JSON).
  let early = '';
  let stdoutBytes = 0;
  const announced = new Promise<number>((resolve) => {
    let found = false;
    const stdoutLines = new LineSplitter((line) => {
      onLine?.(line, 'stdout');
      if (found) return;
      const port = readyLine(line);
      if (port === null) return;
      found = true;
      resolve(port);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (found && !onLine) return;
      const text = chunk.toString('utf8');
      if (!found) early = (early + text).slice(-STDERR_KEPT);
      stdoutLines.push(text);
    });
  });

  const stop = async (killAfterMs = 5_000): Promise<number | string> => {
    if (exitedFlag) return exited;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const deadline = startedAt + startTimeoutMs;
  const ready = async () => {
    const port = await announced;
    const target = `${host}:${port}`;
    if (readiness === 'announced') return { port, target, readyAt: performance.now() };
    const readyAt = await waitForServing(target, {
      probe: readiness === 'serving' ? undefined : readiness,
      timeoutMs: Math.max(1, deadline - performance.now()),
      gaveUp: () => exitedFlag,
    });
    return { port, target, readyAt };
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      ready(),
      exited.then((code) => {
        throw new Error(`${entry} exited (${code}) before it was ready; ${outputOf(early, stderr)}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`${entry} was not ready within ${startTimeoutMs} ms; ${outputOf(early, stderr)}`),
            ),
          startTimeoutMs,
        );
      }),
    ]);
    return {
      child,
      ...outcome,
      startedAt,
      exited,
      hasExited: () => exitedFlag,
      stderr: () => stderr,
      stdoutBytes: () => stdoutBytes,
      stop,
    };
  } catch (err: unknown) {
    await stop(0);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function outputOf(stdout: string, stderr: string): string {
  return `stdout: ${stdout.trim() || '(nothing)'}; stderr: ${stderr.trim() || '(nothing)'}`;
}

/** Calls `onLine` with each complete line of the text pushed into it. */
class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > LONGEST_LINE) this.pending = '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
