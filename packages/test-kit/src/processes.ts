import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { LogLine } from './logs';
import { fdCountOf, type ProcessStats } from './proc';

const INTROSPECT = join(__dirname, 'introspect.js');

export interface ServiceProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
  target: string;
  /** Every JSON log line the process has written to stdout so far. */
  logs: LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Resolves with the first log line matching `predicate`, or rejects after `timeoutMs`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The process's memory (after a full GC), active handles and open file descriptors, now. */
  stats(): Promise<ProcessStats>;
}

/**
 * Starts `node <entry>` (a service's dist/main.js) with PORT=0 on 127.0.0.1 and no metrics
 * endpoint (METRICS_PORT=0) unless `env` says otherwise, and resolves once it logs "serving", with the port it bound. The process runs
 * unchanged but for an IPC channel that never keeps it alive, over which `stats()` asks it
 * about itself (see introspect.ts).
 */
export async function spawnService(entry: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--expose-gc', '--require', INTROSPECT, entry], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  }) as ChildProcessByStdio<null, Readable, Readable>;
  const logs: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const waiter of waiters) waiter(line);
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 10_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find(predicate);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`));
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
        reject(new Error(`process exited before a matching log line; stderr: ${stderr}`));
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
    child.send({ type: 'stats' });
    const inside = await answer;
    return { ...inside, fds: fdCountOf(child.pid as number) };
  };

  const serving = await waitForLog((line) => line.msg === 'serving');
  const port = Number(serving.port);
  return { child, port, target: `127.0.0.1:${port}`, logs, stderr: () => stderr, exited, waitForLog, stats };
}
