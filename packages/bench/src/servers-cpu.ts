import { accessSync, constants } from 'node:fs';
import { cpus as cpuList } from 'node:os';
import { delimiter, join } from 'node:path';

/** The absolute path of `name` found on PATH and executable, or null. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return null;
}

/** A command, possibly wrapped in `taskset`, and whether the wrapping happened. */
export interface PinnedCommand {
  command: string;
  args: string[];
  /** The CPU the process is confined to, or null when it runs wherever the kernel puts it. */
  pinnedCpu: number | null;
}

/**
 * Wraps `command args` in `taskset -c <cpu>` when `cpu` is given and taskset is installed
 * (util-linux). taskset execs the command, so the spawned pid is the command's own pid. Without
 * taskset, or without `cpu`, the command runs unpinned and `pinnedCpu` is null: callers report it.
 * Throws when `cpu` is not one of this machine's CPUs (0 to os.cpus().length - 1; not
 * availableParallelism(), which shrinks to this process's own affinity when it runs pinned).
 */
export function pinnedCommand(command: string, args: string[], cpu?: number): PinnedCommand {
  if (cpu === undefined) return { command, args, pinnedCpu: null };
  const cpus = cpuList().length;
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) {
    throw new Error(`cpu must be an integer from 0 to ${cpus - 1}, got ${cpu}`);
  }
  const taskset = findExecutable('taskset');
  if (!taskset) return { command, args, pinnedCpu: null };
  return { command: taskset, args: ['-c', String(cpu), command, ...args], pinnedCpu: cpu };
}
