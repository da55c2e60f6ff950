import type {
  MethodDefinition,
  ServerErrorResponse,
  ServiceDefinition,
  sendUnaryData,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { requestIdOf } from './call-context';
import { INTERNAL_DETAILS, StatusError } from './errors';
import type { Logger } from './logger';

type AnyCall = Parameters<UntypedHandleCall>[0] & {
  cancelled: boolean;
  emit(event: 'error', status: ServerErrorResponse): boolean;
};

/** Counts the handlers whose work is not finished yet (an async handler until it settles). */
export class HandlerGauge {
  running = 0;
}

/**
 * Wraps every handler of a service so that no failure can take the process down or leak to the
 * client: a handler may throw, reject, or pass any error to its callback. A StatusError goes out
 * as its code and details; anything else goes out as INTERNAL with a generic message, and its
 * cause is logged with the request id. An async handler counts as running until it settles.
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

  return (call: AnyCall, callback?: sendUnaryData<unknown>) => {
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
    const respond: sendUnaryData<unknown> = (err, value, trailer, flags) => {
      if (err) return fail(err);
      if (answered) return;
      answered = true;
      callback?.(null, value, trailer, flags);
    };

    let result: unknown;
    try {
      result = answersOnce ? handler(call, respond) : handler(call);
    } catch (err: unknown) {
      fail(err);
      return;
    }
    if (result instanceof Promise) {
      gauge.running++;
      result.then(
        () => gauge.running--,
        (err: unknown) => {
          gauge.running--;
          fail(err);
        },
      );
    }
  };
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
