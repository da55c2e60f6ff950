import { randomUUID } from 'node:crypto';
import { type Metadata, type ServerDuplexStream, type ServerReadableStream, status } from '@grpc/grpc-js';
import { REQUEST_ID_HEADER } from '@repo/wire';
import { StatusError } from './errors';
import { roundTrip } from './round-trip';

// A request id from outside is only a correlation token: bound its size and alphabet so that
// it cannot flood the logs or smuggle anything into them.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request id a caller sent when it is a sane token (see ensureRequestId), else a new UUID. */
export function requestIdFrom(given: string | null | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

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

type Cancellable = { cancelled: boolean; once(event: 'cancelled', listener: () => void): unknown };

const controllers = new WeakMap<Cancellable, AbortController>();

function controllerOf(call: Cancellable): AbortController {
  let controller = controllers.get(call);
  if (!controller) {
    const created = new AbortController();
    if (call.cancelled) created.abort();
    else call.once('cancelled', () => created.abort());
    controllers.set(call, created);
    controller = created;
  }
  return controller;
}

/**
 * An AbortSignal that fires when the call is cancelled: by the client, by its deadline, or by
 * the server at the end of its shutdown grace (see interruptCall). Pass it to timers and waits
 * so that nothing outlives the call.
 */
export function signalOf(call: Cancellable): AbortSignal {
  return controllerOf(call).signal;
}

/** Fires the call's signalOf, so that its handler stops; the caller sends the call's status. */
export function interruptCall(call: Cancellable): void {
  controllerOf(call).abort();
}

/** How a reader of a client stream ends when the client cancelled the call. */
function cancelledByClient(): StatusError {
  return new StatusError(status.CANCELLED, 'Cancelled by the client');
}

/**
 * Waits until a reset the client sent along with its half-close has been read and reported:
 * until the client answered a PING sent after the half-close (see roundTrip), then one more turn
 * of the event loop, in which Node and grpc-js report the stream's close as the call's
 * cancellation. Stops waiting at once when the call is cancelled or interrupted meanwhile.
 */
async function afterClientCaughtUp(call: Cancellable & { getPeer(): string }): Promise<void> {
  const signal = signalOf(call);
  const trip = signal.aborted ? undefined : roundTrip(call.getPeer());
  if (trip) {
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort);
    });
    await Promise.race([trip, aborted]);
    signal.removeEventListener('abort', onAbort);
  }
  await new Promise(setImmediate);
}

/**
 * The messages of a client stream, for `for await`, ending only when the client half-closes.
 *
 * - Leaving the loop early (on a bad message, say) leaves the call open, so that its status can
 *   still be sent: the default iterator of a Readable destroys the stream, and the client would
 *   wait for a status that never comes.
 * - A call the client cancels throws CANCELLED instead of ending the loop. Node's HTTP/2 client
 *   (grpc-js's, whatever its Node version) ends its side of a stream (END_STREAM) before it resets
 *   it (RST_STREAM CANCEL), and the two frames may reach the server in different reads, any time
 *   apart: grpc-js ends the stream of messages on the first and reports the cancellation only on
 *   the second. Waiting a turn of the event loop was not enough (under Node 24 a cancelled
 *   upload was answered as a complete one, every time); so the end of the messages is taken for
 *   the client's only once the client has answered a PING sent after it (afterClientCaughtUp),
 *   which costs one round trip per client stream.
 */
export function messagesOf<T>(call: {
  cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
  getPeer(): string;
  iterator(options: { destroyOnReturn: boolean }): AsyncIterator<T>;
}): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const messages = call.iterator({ destroyOnReturn: false });
      return {
        async next() {
          const result = await messages.next();
          if (result.done) {
            await afterClientCaughtUp(call);
            if (call.cancelled) throw cancelledByClient();
          }
          return result;
        },
        return: async () => (await messages.return?.()) ?? { done: true, value: undefined },
      };
    },
  };
}

/**
 * Calls `onMessage` with each message of a client stream, as it arrives, and resolves once the
 * client has half-closed: messagesOf's guarantees (the call stays open for its status, and a
 * cancelled call rejects with CANCELLED rather than ending as if complete) for a handler that
 * does no asynchronous work per message, without an iterator's promises per message (~2 µs of
 * CPU each, BENCHMARKS.md). When `onMessage` throws, no further message is read and the promise
 * rejects with what it threw.
 */
export function forEachMessage<T>(
  call: ServerReadableStream<T, unknown> | ServerDuplexStream<T, unknown>,
  onMessage: (message: T) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      call.off('data', onData);
      call.off('end', onEnd);
      call.off('error', onError);
    };
    const fail = (err: unknown) => {
      stop();
      reject(err);
    };
    const onData = (message: T) => {
      try {
        onMessage(message);
      } catch (err: unknown) {
        fail(err);
      }
    };
    const onEnd = () => {
      stop();
      afterClientCaughtUp(call).then(
        () => (call.cancelled ? reject(cancelledByClient()) : resolve()),
        reject,
      );
    };
    const onError = (err: Error) => fail(err);
    call.on('data', onData);
    call.once('end', onEnd);
    call.once('error', onError);
    call.once('cancelled', () => fail(cancelledByClient()));
  });
}
