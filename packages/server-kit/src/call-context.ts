import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

export const REQUEST_ID_HEADER = 'x-request-id';
export const SERVED_BY_HEADER = 'x-served-by';

// A request id from outside is only a correlation token: bound its size and alphabet so that
// it cannot flood the logs or smuggle anything into them.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The call's request id: the client's `x-request-id` when it is a sane token, a new UUID
 * otherwise. The call-logging interceptor stores it back into the metadata, so every handler
 * (and every call it makes on) sees the same id.
 */
export function ensureRequestId(metadata: Metadata): string {
  const given = metadata.get(REQUEST_ID_HEADER)[0];
  if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
  const id = randomUUID();
  metadata.set(REQUEST_ID_HEADER, id);
  return id;
}

/** The request id of a call that went through the call-logging interceptor. */
export function requestIdOf(call: { metadata: Metadata }): string {
  return ensureRequestId(call.metadata);
}

/**
 * An AbortSignal that fires when the call is cancelled: by the client, by its deadline, or by
 * a forced shutdown. Pass it to timers and waits so that nothing outlives the call.
 */
export function signalOf(call: {
  cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', () => controller.abort());
  return controller.signal;
}

/**
 * The messages of a client stream, for `for await`. Leaving the loop early (on a bad message,
 * say) leaves the call open so that its status can still be sent: the default iterator of a
 * Readable destroys the stream, and the client would then wait for a status that never comes.
 */
export function messagesOf<T>(call: {
  iterator(options: { destroyOnReturn: boolean }): AsyncIterable<T>;
}): AsyncIterable<T> {
  return call.iterator({ destroyOnReturn: false });
}
