import type {
  MethodDefinition,
  ServerErrorResponse,
  ServiceDefinition,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { interruptCall, requestIdOf } from './call-context';
import { contextOfCall } from './call-telemetry';
import { INTERNAL_DETAILS, StatusError } from './errors';
import type { Logger } from './logger';

type AnyCall = Parameters<UntypedHandleCall>[0] & {
  cancelled: boolean;
  emit(event: 'error', status: ServerErrorResponse): boolean;
};

/**
 * Counts the handlers whose work is not finished yet, and keeps them under a limit: a handler
 * counts from its start until it answers (unary), its promise settles (an async streaming
 * handler), or its call ends (any other streaming handler). A client that resets
 * its stream does not end that work, so the count, unlike HTTP/2's MAX_CONCURRENT_STREAMS,
 * bounds what resetting clients can start.
 */
export class HandlerGauge {
  running = 0;
  /** The highest `running` seen. */
  peak = 0;
  /** Calls refused because `limit` handlers were running. */
  refused = 0;

  private readonly interrupts = new Set<() => void>();

  constructor(readonly limit = Number.POSITIVE_INFINITY) {}

  /**
   * Counts one more handler and returns its release (idempotent); undefined when at the limit.
   * `interrupt` is how interruptAll stops that handler while it runs.
   */
  acquire(interrupt: () => void = () => {}): (() => void) | undefined {
    if (this.running >= this.limit) {
      this.refused++;
      return undefined;
    }
    this.running++;
    if (this.running > this.peak) this.peak = this.running;
    this.interrupts.add(interrupt);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.interrupts.delete(interrupt);
    };
  }

  /** Interrupts every handler still running (at the end of a shutdown's grace); returns how many. */
  interruptAll(): number {
    const interrupts = [...this.interrupts];
    for (const interrupt of interrupts) interrupt();
    return interrupts.length;
  }
}

/** The details of a call still running when the server's shutdown grace ran out. */
export const SHUTDOWN_DETAILS = 'server shutting down';

/** The details of a call refused because the server is at its MAX_RUNNING_HANDLERS. */
export function busyDetails(limit: number): string {
  return `server busy: ${limit} calls running, try again later`;
}

/**
 * Wraps every handler of a service so that no failure can take the process down or leak to the
 * client: a handler may throw, reject, or pass any error to its callback. A StatusError goes out
 * as its code and details; anything else goes out as INTERNAL with a generic message, and its
 * cause is logged with the request id. Past the gauge's limit, a call ends at once with
 * RESOURCE_EXHAUSTED, before its handler runs.
 */
export function guardService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  logger: Logger,
  gauge: HandlerGauge,
): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (handler === undefined) {
      throw new Error(`${method.path} has no handler`);
    }
    guarded[name] = guardHandler(method, handler as (...args: unknown[]) => unknown, logger, gauge);
  }
  return guarded;
}

function guardHandler(
  method: MethodDefinition<unknown, unknown>,
  handler: (...args: unknown[]) => unknown,
  logger: Logger,
  gauge: HandlerGauge,
): UntypedHandleCall {
  const answersOnce = !method.responseStream;

  // A traced call's handler runs with its span active, and so does everything the wrapper does
  // for it later (a rejection logged, say): its log lines and the calls it makes on (client-kit
  // propagates the active context) belong to the call's trace.
  return (call: AnyCall, callback?: sendUnaryData<unknown>) => {
    const traced = contextOfCall(call.metadata);
    if (traced) context.with(traced, guarded, undefined, call, callback);
    else guarded(call, callback);
  };

  function guarded(call: AnyCall, callback?: sendUnaryData<unknown>): void {
    let answered = false;
    const fail = (err: unknown) => {
      if (answered || call.cancelled) {
        logger.debug(
          { requestId: requestIdOf(call), method: method.path, err },
          'error after the call ended',
        );
        return;
      }
      answered = true;
      const callStatus = toStatus(err, method.path, requestIdOf(call), logger);
      if (callback) callback(callStatus, null);
      else call.emit('error', callStatus);
    };

    // At the end of a shutdown's grace: the handler's signal fires, and the client gets
    // UNAVAILABLE (retryable: the server is going away), not the CANCELLED of a dropped stream.
    const release = gauge.acquire(() => {
      interruptCall(call);
      fail(new StatusError(status.UNAVAILABLE, SHUTDOWN_DETAILS));
    });
    if (!release) {
      fail(new StatusError(status.RESOURCE_EXHAUSTED, busyDetails(gauge.limit)));
      return;
    }
    const respond: sendUnaryData<unknown> = (err, value, trailer, flags) => {
      release();
      if (err) return fail(err);
      if (answered) return;
      answered = true;
      callback?.(null, value, trailer, flags);
    };

    let result: unknown;
    try {
      result = answersOnce ? handler(call, respond) : handler(call);
    } catch (err: unknown) {
      release();
      fail(err);
      return;
    }
    if (result instanceof Promise) {
      // A unary handler's work ends when it answers; a streaming handler's when its promise settles.
      result.then(answersOnce ? undefined : release, (err: unknown) => {
        release();
        fail(err);
      });
    } else if (!answersOnce) {
      const events = call as unknown as NodeJS.EventEmitter;
      for (const end of ['finish', 'cancelled', 'error']) events.once(end, release);
    }
  }
}

function toStatus(err: unknown, method: string, requestId: string, logger: Logger): ServerErrorResponse {
  if (err instanceof StatusError) {
    return {
      name: err.name,
      message: err.details,
      code: err.code,
      details: err.details,
      metadata: err.metadata,
    };
  }
  logger.error({ requestId, method, err }, 'handler failed');
  return { name: 'Error', message: INTERNAL_DETAILS, code: status.INTERNAL, details: INTERNAL_DETAILS };
}
