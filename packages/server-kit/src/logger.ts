import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/** Identifies this process in logs and in the x-served-by response header: `hostname/pid`. */
export const INSTANCE = `${hostname()}/${process.pid}`;

/** What the stdout destination may hold while the reader of stdout lags; past it, lines are dropped. */
export const MAX_BUFFERED_LOG_BYTES = 8 * 1024 * 1024;

/**
 * A pino logger writing one JSON line per event, to stdout unless a destination is given
 * (tests pass one to read what was logged).
 *
 * Stdout is written asynchronously: a line is handed to the kernel at once when no write is in
 * flight, and lines that come meanwhile go out together in the next write, so a busy server
 * makes one write per batch instead of one blocking write per call. A reader that stops reading
 * costs at most MAX_BUFFERED_LOG_BYTES, then lines are dropped rather than memory exhausted.
 * Call flushLogs before exiting.
 */
export function createLogger(
  options: { name: string; level: LogLevel },
  destination: DestinationStream = pino.destination({
    dest: 1,
    sync: false,
    maxLength: MAX_BUFFERED_LOG_BYTES,
  }),
): Logger {
  const logger = pino(
    {
      name: options.name,
      level: options.level,
      base: { instance: INSTANCE },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  plainLoggers.add(logger);
  return logger;
}

/** Loggers createLogger made: their lines have a known shape (no mixin, hooks or serializers). */
const plainLoggers = new WeakSet<Logger>();

/** Writes the log line of a call that ended OK. */
export type OkCallLine = (requestId: string, method: string, durationMs: number) => void;

/** Request ids and method paths that go into a JSON string as they are. */
const JSON_SAFE = /^[\w./:-]*$/;

/**
 * The line `logger.info({ requestId, method, code: 'OK', durationMs }, 'call')` writes, byte for
 * byte, built as one template string instead of through pino's generic serializer: it is the one
 * line every call writes, and under load pino's path cost more than the rest of the call log
 * together (BENCHMARKS.md). For loggers createLogger made, at a level that logs info; otherwise
 * undefined, and callers use the logger. Values that would need escaping also go through pino.
 */
export function okCallLineOf(logger: Logger): OkCallLine | undefined {
  if (!plainLoggers.has(logger) || !logger.isLevelEnabled('info')) return undefined;
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym];
  if (!stream || typeof bindings !== 'string') return undefined;
  return (requestId, method, durationMs) => {
    if (!JSON_SAFE.test(requestId) || !JSON_SAFE.test(method)) {
      logger.info({ requestId, method, code: 'OK', durationMs }, 'call');
      return;
    }
    stream.write(
      `{"level":"info"${pino.stdTimeFunctions.isoTime()}${bindings},"requestId":"${requestId}","method":"${method}","code":"OK","durationMs":${durationMs},"msg":"call"}\n`,
    );
  };
}

/** Calls `done` once every line logged so far has been written (at most `timeoutMs` later). */
export function flushLogs(logger: Logger, done: () => void, timeoutMs = 2_000): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    done();
  };
  setTimeout(once, timeoutMs).unref();
  logger.flush(() => once());
}
