import { BASE_ENV, CONTENDERS, type ContenderName, startServer, withTimeout } from './servers';
import { waitUntilReady } from './servers-probe';
import { spawnNode, stopProcess } from './servers-spawn';

export interface StartupOptions {
  /** CPU to pin each started process to (see startServer); unpinned when absent. */
  cpu?: number;
  /** Probe interval in ms (default 5): the resolution of every sample. */
  intervalMs?: number;
  /** Give up on one run after this many ms (default 15000). */
  timeoutMs?: number;
}

export interface StartupResult {
  name: ContenderName;
  /** Milliseconds from spawn to the first ready answer, one per run, in run order. */
  samplesMs: number[];
  medianMs: number;
  /** The CPU the runs were pinned to, or null when they ran unpinned. */
  pinnedCpu: number | null;
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
 * Starts `name` `runs` times, one after the other, and measures each time in milliseconds from
 * spawn() to its first ready answer: for ours a health Check answering SERVING, for the baselines
 * a successful SayHello, asked every `intervalMs` once the process has announced its port (so a
 * sample is at most about `intervalMs` late). Each process is stopped before the next run. For
 * ours-stream, one ours-greeter is started beforehand, outside the clock, and shared by the runs.
 * Rejects when a run fails; nothing is left running.
 */
export async function measureStartup(
  name: ContenderName,
  runs = 10,
  options: StartupOptions = {},
): Promise<StartupResult> {
  const contender = CONTENDERS[name];
  const { cpu, intervalMs = 5, timeoutMs = 15_000 } = options;
  const greeter = contender.needsGreeter ? await startServer('ours-greeter', { cpu }) : undefined;
  const samplesMs: number[] = [];
  let pinnedCpu: number | null = null;
  try {
    for (let run = 0; run < runs; run++) {
      const env = {
        ...BASE_ENV,
        ...contender.env,
        ...(greeter ? { GREETER_ADDR: greeter.target } : {}),
      };
      const started = performance.now();
      const spawned = spawnNode(contender.entry(), env, cpu);
      pinnedCpu = spawned.pinnedCpu;
      try {
        const port = await withTimeout(spawned.port, timeoutMs, `${name} announced no port`);
        const readyAt = await waitUntilReady(contender.probe, `127.0.0.1:${port}`, {
          intervalMs,
          timeoutMs,
          gaveUp: spawned.hasExited,
        });
        samplesMs.push(readyAt - started);
      } finally {
        await stopProcess(spawned);
      }
    }
  } finally {
    await greeter?.stop();
  }
  return { name, samplesMs, medianMs: median(samplesMs), pinnedCpu };
}
