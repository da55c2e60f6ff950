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
import {
  BUSY_RETRY_DELAY_MS,
  INTERNAL_DETAILS,
  SHUTDOWN_DETAILS,
  SHUTDOWN_RETRY_DELAY_MS,
  StatusError,
  toServiceError,
} from './errors';
import { busyDetails, type HandlerGauge } from './handler-gauge';
import type { Logger } from './logger';

type AnyCall = Parameters<UntypedHandleCall>[0] & {
  cancelled: boolean;
  emit(event: 'error', status: ServerErrorResponse): boolean;
};

/**
 * Wraps every handler of a service so that no failure can take the process down or leak to the
 * client: a handler may throw, reject, or pass any error to its callback. A StatusError goes out
 * as its code and details, with its error details in `grpc-status-details-bin`; anything else goes out as INTERNAL with a generic message, and its
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
      fail(
        new StatusError(status.UNAVAILABLE, SHUTDOWN_DETAILS, {
          reason: 'SHUTTING_DOWN',
          retryDelayMs: SHUTDOWN_RETRY_DELAY_MS,
        }),
      );
    });
    if (!release) {
      fail(
        new StatusError(status.RESOURCE_EXHAUSTED, busyDetails(gauge.limit), {
          reason: 'SERVER_BUSY',
          retryDelayMs: BUSY_RETRY_DELAY_MS,
        }),
      );
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

/**
 * The status of a failed call, with its error details (see toServiceError): a StatusError's own,
 * INTERNAL (reason INTERNAL) for anything else. The ErrorInfo's domain is the service's name.
 */
function toStatus(err: unknown, method: string, requestId: string, logger: Logger): ServerErrorResponse {
  const domain = method.split('/')[1] ?? '';
  if (err instanceof StatusError) return toServiceError(err, domain);
  logger.error({ requestId, method, err }, 'handler failed');
  return toServiceError(new StatusError(status.INTERNAL, INTERNAL_DETAILS), domain);
}
