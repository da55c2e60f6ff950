import { readFileSync } from 'node:fs';

/** What a process has used so far, from /proc (Linux). */
export interface ProcessUsage {
  /** CPU time, user plus system, in milliseconds (10 ms resolution). */
  cpuMs: number;
  /** Resident set size now (VmRSS), and the largest it has been (VmHWM), in bytes. */
  rssBytes: number;
  peakRssBytes: number;
}

function statusBytes(status: string, field: string, pid: number): number {
  const line = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!line?.[1]) throw new Error(`no ${field} for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** Process `pid`'s CPU time and memory so far; throws (ENOENT) when there is no such process. */
export function usageOf(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces and parentheses: fields follow the last ')'.
  // utime and stime are fields 14 and 15 of proc(5), in ticks of USER_HZ, which Linux fixes at
  // 100 on every architecture it exposes to user space (Node cannot call sysconf).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
  if (!Number.isFinite(cpuMs)) throw new Error(`cannot read the CPU times of process ${pid}`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuMs,
    rssBytes: statusBytes(status, 'VmRSS', pid),
    peakRssBytes: statusBytes(status, 'VmHWM', pid),
  };
}
