import { hostname } from 'node:os';
import { context, type Span, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/** Identifies this process in logs and in the x-served-by response header: `hostname/pid`. */
export const INSTANCE = `${hostname()}/${process.pid}`;

/** What the stdout destination may hold while the reader of stdout lags; past it, lines are dropped. */
const MAX_BUFFERED_LOG_BYTES = 8 * 1024 * 1024;

/** What joins a log line to its trace: the names OpenTelemetry's log data model and pino's instrumentation use. */
export interface TraceFields {
  trace_id: string;
  span_id: string;
  trace_flags: string;
}

/** The ids of a span, as log fields. */
export function traceFieldsOf(span: Span): TraceFields {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`.slice(-2) };
}

/** The trace fields of the active span (a traced call's handler runs with its span active). */
function activeTraceFields(): Partial<TraceFields> {
  const span = trace.getSpan(context.active());
  return span ? traceFieldsOf(span) : {};
}

/**
 * A pino logger writing one JSON line per event, to stdout unless a destination is given
 * (tests pass one to read what was logged). With `traceContext`, every line written while a
 * span is active carries its `trace_id` and `span_id`.
 *
 * Stdout is written asynchronously: a line is handed to the kernel at once when no write is in
 * flight, and lines that come meanwhile go out together in the next write, so a busy server
 * makes one write per batch instead of one blocking write per call. A reader that stops reading
 * costs at most MAX_BUFFERED_LOG_BYTES, then lines are dropped rather than memory exhausted.
 * Call flushLogs before exiting.
 */
export function createLogger(
  options: { name: string; level: LogLevel; traceContext?: boolean },
  destination: DestinationStream = pino.destination({
    dest: 1,
    sync: false,
    maxLength: MAX_BUFFERED_LOG_BYTES,
  }),
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { instance: INSTANCE },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(options.traceContext ? { mixin: activeTraceFields } : {}),
    },
    destination,
  );
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
