import { type ChildProcess, spawn } from 'node:child_process';
import { pinnedCommand } from './servers-cpu';

/** What a spawned contender process looks like until it is stopped. */
export interface SpawnedProcess {
  child: ChildProcess;
  /** The CPU it is confined to, or null when it runs unpinned (no taskset, or no cpu asked). */
  pinnedCpu: number | null;
  /** Resolves with the port from the process's ready line; rejects if it exits first. */
  port: Promise<number>;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  hasExited(): boolean;
  /** The last few KiB of stderr, for error messages. */
  stderr(): string;
  /** Bytes read from its stdout so far: its log volume, for ours. */
  stdoutBytes(): number;
}

const STDERR_KEPT = 8 * 1024;
const READY_SCAN_LIMIT = 64 * 1024;
const BASELINE_READY = /^listening (\d+)$/;

/**
 * The port a ready line announces, or null. Two shapes, one per kind of contender: our services
 * log JSON (`{"msg":"serving","port":N,...}`), the baselines print `listening <port>`.
 */
export function portOfReadyLine(line: string): number | null {
  const plain = BASELINE_READY.exec(line.trim());
  if (plain) return Number(plain[1]);
  if (!line.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return parsed.msg === 'serving' && typeof parsed.port === 'number' ? parsed.port : null;
  } catch {
    return null;
  }
}

/**
 * Spawns `node <nodeArgs> <entry>` with `env` on top of this process's environment, pinned to
 * `cpu` when possible. Stdout is scanned for the ready line and then read and dropped for as long as the
 * process lives: the process writes its logs into a pipe that someone empties promptly, as a
 * container runtime or a log collector would, and never blocks on a full pipe.
 */
export function spawnNode(
  entry: string,
  env: Record<string, string>,
  cpu?: number,
  nodeArgs: readonly string[] = [],
): SpawnedProcess {
  const pinned = pinnedCommand(process.execPath, [...nodeArgs, entry], cpu);
  const child = spawn(pinned.command, pinned.args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
  });
  let exitedFlag = false;
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      exitedFlag = true;
      resolve();
    };
    child.once('exit', done);
    // A command that could not be spawned at all emits 'error' and never 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) done();
    });
  });

  let stdoutBytes = 0;
  const port = new Promise<number>((resolve, reject) => {
    let pending = '';
    let found = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      // Once the port is known, chunks are dropped without being decoded.
      if (found || pending.length > READY_SCAN_LIMIT) return;
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const announced = portOfReadyLine(line);
        if (announced === null) continue;
        found = true;
        pending = '';
        resolve(announced);
        return;
      }
    });
    child.once('error', (err) => {
      if (!found) reject(err);
    });
    void exited.then(() => {
      if (!found) reject(new Error(`${entry} exited before it was ready; stderr: ${stderr}`));
    });
  });
  // The caller may stop waiting (a timeout) before the rejection: it must not go unhandled.
  port.catch(() => {});

  return {
    child,
    pinnedCpu: pinned.pinnedCpu,
    port,
    exited,
    hasExited: () => exitedFlag,
    stderr: () => stderr,
    stdoutBytes: () => stdoutBytes,
  };
}

/**
 * SIGTERM, then SIGKILL if the process is still alive after `killAfterMs` milliseconds; resolves
 * once it has exited. Safe to call on a process that has already exited.
 */
export async function stopProcess(spawned: SpawnedProcess, killAfterMs = 5_000): Promise<void> {
  if (spawned.hasExited()) return;
  spawned.child.kill('SIGTERM');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), killAfterMs);
  try {
    await spawned.exited;
  } finally {
    clearTimeout(timer);
  }
}
