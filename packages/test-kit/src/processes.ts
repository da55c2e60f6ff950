import { join } from 'node:path';
import { type ServiceProcess as Process, startService } from '@repo/runner';
import type { LogLine } from './logs';
import { fdCountOf, type ProcessStats } from './proc';

const INTROSPECT = join(__dirname, 'introspect.js');

/** A service process under test: the runner's, with its logs and a view of its insides. */
export interface ServiceProcess extends Process {
  /** Every JSON log line the process has written to stdout so far. */
  logs: LogLine[];
  /** Resolves with the first log line matching `predicate`, or rejects after `timeoutMs`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The process's memory (after a full GC), active handles and open file descriptors, now. */
  stats(): Promise<ProcessStats>;
}

/**
 * Starts `node <entry>` (a service's built main) with PORT=0 on 127.0.0.1, no metrics endpoint
 * (METRICS_PORT=0) and debug logs unless `env` says otherwise, and resolves once it logs
 * "serving" (not waiting for health: a test may be about what comes before). The process runs
 * unchanged but for an IPC channel that never keeps it alive, over which `stats()` asks it about
 * itself (see introspect.ts).
 */
export async function spawnService(entry: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const logs: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  const started = await startService(entry, {
    env: { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'debug', ...env },
    nodeArgs: ['--expose-gc', '--require', INTROSPECT],
    ipc: true,
    readiness: 'announced',
    onLine: (text, stream) => {
      if (stream !== 'stdout') return;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      for (const waiter of waiters) waiter(line);
    },
  });
  const { child, exited, stderr } = started;

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 10_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find(predicate);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr()}`));
      }, timeoutMs);
      const waiter = (line: LogLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(line);
      };
      waiters.add(waiter);
      void exited.then(() => {
        if (!waiters.has(waiter)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        reject(new Error(`process exited before a matching log line; stderr: ${stderr()}`));
      });
    });

  const stats = async (): Promise<ProcessStats> => {
    const answer = new Promise<Omit<ProcessStats, 'fds'>>((resolve, reject) => {
      const onMessage = (message: { type?: string; stats?: Omit<ProcessStats, 'fds'> }) => {
        if (message?.type !== 'stats' || !message.stats) return;
        child.off('message', onMessage);
        resolve(message.stats);
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error('the process exited before answering stats')));
    });
    child.send?.({ type: 'stats' });
    const inside = await answer;
    return { ...inside, fds: fdCountOf(child.pid as number) };
  };

  return { ...started, logs, waitForLog, stats };
}
