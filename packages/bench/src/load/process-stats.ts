import { readFileSync } from 'node:fs';

/**
 * Clock ticks per second of the times in /proc/<pid>/stat (`getconf CLK_TCK`). Node cannot call
 * sysconf, and Linux fixes USER_HZ at 100 on every architecture it exposes to user space.
 */
const CLK_TCK = 100;
const MS_PER_TICK = 1000 / CLK_TCK;

/** What a process has used so far, from /proc (Linux only). */
export interface ProcessStats {
  /** CPU time, user plus system, in milliseconds (10 ms resolution). */
  cpuMs: number;
  /** Resident set size now, in bytes (VmRSS). */
  rssBytes: number;
  /** The largest resident set size the process has had, in bytes (VmHWM). */
  peakRssBytes: number;
}

/** What a process used between two readings (see startProcessWindow). */
export interface ProcessWindow {
  /** CPU time used within the window, in milliseconds. */
  cpuMs: number;
  /** The window's length, in seconds. */
  seconds: number;
  /** cpuMs as a share of one core over the window: 1 is one core fully busy. */
  cores: number;
  /** Resident set size at the end of the window, in bytes. */
  rssBytes: number;
  /** The process's peak resident set size at the end of the window (since it started, not only within), in bytes. */
  peakRssBytes: number;
}

/**
 * Reads process `pid`'s CPU time and memory from /proc/<pid>/stat and /proc/<pid>/status.
 * Throws (ENOENT) when there is no such process.
 */
export function readProcessStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may itself hold spaces and parentheses: fields follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5); `fields` starts at field 3 (state).
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`cannot read the CPU times of process ${pid}`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuMs: ticks * MS_PER_TICK,
    rssBytes: statusKiB(status, 'VmRSS', pid) * 1024,
    peakRssBytes: statusKiB(status, 'VmHWM', pid) * 1024,
  };
}

function statusKiB(status: string, field: string, pid: number): number {
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm'));
  if (!match?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]);
}

/**
 * Starts measuring process `pid` now; the function it returns ends the window and says what the
 * process used within it. Throws, as readProcessStats, when the process is gone.
 */
export function startProcessWindow(pid: number): () => ProcessWindow {
  const before = readProcessStats(pid);
  const started = performance.now();
  return () => {
    const after = readProcessStats(pid);
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = after.cpuMs - before.cpuMs;
    return {
      cpuMs,
      seconds,
      cores: seconds > 0 ? cpuMs / 1000 / seconds : 0,
      rssBytes: after.rssBytes,
      peakRssBytes: after.peakRssBytes,
    };
  };
}
