import { readdirSync } from 'node:fs';
import { usageOf } from '@repo/runner';

/** What a service process holds, as seen from inside (see introspect.ts) and from /proc. */
export interface ProcessStats {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use after a full garbage collection, bytes. */
  heapUsed: number;
  /** Active handles and requests by kind (`TCPSocketWrap`, `Timeout`, ...), as process.getActiveResourcesInfo() names them. */
  resources: Record<string, number>;
  /** Open file descriptors (sockets included). */
  fds: number;
}

const rssOf = (pid: number) => usageOf(pid).rssBytes;

/** How many file descriptors process `pid` has open, from /proc (Linux). */
export function fdCountOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Samples process `pid`'s RSS every `everyMs`; `stop()` ends it and returns the highest seen, in bytes. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssOf(pid));
      return peak;
    },
  };
}
