import { once } from 'node:events';
import { type Deadline, type ServerDuplexStream, status } from '@grpc/grpc-js';
import { isCallError } from '@repo/client-kit';
import type { Greeter } from '@repo/greeter-client';
import type { AllStreamRequest, AllStreamResponse } from '@repo/proto';
import { messagesOf, requestIdOf, StatusError, signalOf } from '@repo/server-kit';
import { mapInOrder } from './in-order';

/** Deadline of a Greeter call when the AllStream call itself has none (or a later one). */
export const GREETER_TIMEOUT_MS = 5_000;

/**
 * Maps a failed Greeter call to the status the AllStream client gets. The Greeter's own
 * INVALID_ARGUMENT is the client's fault and is passed on; its unavailability is named; any
 * other failure is ours, and is not described to the client.
 */
export function greeterErrorToStatus(err: unknown, greeterTarget: string, position: number): unknown {
  if (!isCallError(err)) return err;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new StatusError(status.INVALID_ARGUMENT, `message ${position}: ${err.details}`);
    case status.UNAVAILABLE:
      return new StatusError(status.UNAVAILABLE, `greeter unavailable at ${greeterTarget}: ${err.details}`);
    case status.DEADLINE_EXCEEDED:
      return new StatusError(status.DEADLINE_EXCEEDED, `greeter at ${greeterTarget} did not answer in time`);
    default:
      return err;
  }
}

/**
 * Greeter calls in flight per AllStream call, at most. A client that sends its names ahead gets
 * them greeted side by side rather than one round trip after another; one that waits for each
 * answer (one in flight) is served as before.
 */
export const GREETER_CALLS_IN_FLIGHT = 16;

/**
 * Answers every message, in order, with the Greeter's greeting for its name. Up to `inFlight`
 * Greeter calls run at once (a later one may answer first; the answers are still written in the
 * order of the names); each gets this call's deadline (or GREETER_TIMEOUT_MS, if earlier), its
 * request id, and `greeterToken` when the Greeter requires one (the client's own token is for
 * this service only and is never forwarded). When this call ends early (cancelled, out of time,
 * or failed), the Greeter calls still in flight are cancelled. A message is read only while
 * there is room among the calls in flight and the client is taking the answers, so a slow
 * client slows the Greeter traffic rather than filling our memory.
 */
export function createAllStream(greeter: Greeter, greeterToken?: string, inFlight = GREETER_CALLS_IN_FLIGHT) {
  return async function allStream(
    call: ServerDuplexStream<AllStreamRequest, AllStreamResponse>,
  ): Promise<void> {
    const callSignal = signalOf(call);
    const ended = new AbortController();
    // Not `parent: call`: grpc-js adds a 'cancelled' listener to the parent for every child call
    // and never removes it, so a stream of a million messages would hold a million finished
    // calls until it ends. The deadline and the signal carry the same, and let go of each call.
    const options = {
      deadline: deadlineOf(call),
      signal: AbortSignal.any([callSignal, ended.signal]),
      timeoutMs: GREETER_TIMEOUT_MS,
      requestId: requestIdOf(call),
      token: greeterToken,
    };
    const greet = ({ name }: AllStreamRequest, index: number) =>
      greeter.sayHello(name, options).catch((err: unknown) => {
        throw greeterErrorToStatus(err, greeter.target, index + 1);
      });
    try {
      for await (const greeting of mapInOrder(messagesOf(call), greet, inFlight)) {
        if (callSignal.aborted) return;
        if (!call.write({ message: greeting.message, servedBy: greeting.servedBy })) {
          await once(call, 'drain', { signal: callSignal });
        }
      }
    } catch (err: unknown) {
      if (callSignal.aborted) return;
      throw err;
    } finally {
      ended.abort();
    }
    call.end();
  };
}

/** The call's deadline as a Date; undefined when it has none. */
function deadlineOf(call: { getDeadline(): Deadline }): Date | undefined {
  const deadline = call.getDeadline();
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}
