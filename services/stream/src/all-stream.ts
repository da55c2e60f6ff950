import { once } from 'node:events';
import { type Deadline, type ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Greeter } from '@repo/greeter-client';
import type { AllStreamRequest, AllStreamResponse } from '@repo/proto';
import { checkText, invalidArgument, messagesOf, requestIdOf, StatusError, signalOf } from '@repo/server-kit';
import { errorDetailsOf, isCallError } from '@repo/wire';

/** Deadline of a Greeter call when the AllStream call itself has none (or a later one). */
export const GREETER_TIMEOUT_MS = 5_000;

/**
 * What a name must be, checked here before any Greeter call: this service answers for its own
 * input, whichever Greeter is behind it (the helloworld servers of other languages greet an
 * empty name). The Greeter's own rule, so that its answers agree with ours.
 */
export const ALL_STREAM_LIMITS = { maxNameLength: 256 } as const;

/** How soon a client may retry an AllStream that failed because the Greeter could not be reached. */
export const GREETER_RETRY_DELAY_MS = 1_000;

/**
 * Maps a failed Greeter call to the status the AllStream client gets. The Greeter's own
 * INVALID_ARGUMENT is the client's fault and is passed on, with its field violations and reason;
 * its unavailability (GREETER_UNAVAILABLE, with a RetryInfo) and its lateness
 * (GREETER_DEADLINE_EXCEEDED) are named; any other failure is ours, and is not described to the
 * client.
 */
export function greeterErrorToStatus(err: unknown, greeterTarget: string, position: number): unknown {
  if (!isCallError(err)) return err;
  const info = { message: String(position) };
  switch (err.code) {
    case status.INVALID_ARGUMENT: {
      const details = errorDetailsOf(err);
      return new StatusError(status.INVALID_ARGUMENT, `message ${position}: ${err.details}`, {
        reason: details?.errorInfo?.reason ?? 'GREETER_INVALID_ARGUMENT',
        violations: details?.badRequest?.fieldViolations,
        info,
      });
    }
    case status.UNAVAILABLE:
      return new StatusError(status.UNAVAILABLE, `greeter unavailable at ${greeterTarget}: ${err.details}`, {
        reason: 'GREETER_UNAVAILABLE',
        retryDelayMs: GREETER_RETRY_DELAY_MS,
        info,
      });
    case status.DEADLINE_EXCEEDED:
      return new StatusError(status.DEADLINE_EXCEEDED, `greeter at ${greeterTarget} did not answer in time`, {
        reason: 'GREETER_DEADLINE_EXCEEDED',
        info,
      });
    default:
      return err;
  }
}

/**
 * Answers every message, in order, with the Greeter's greeting for its name; a name that is not
 * valid (ALL_STREAM_LIMITS) ends the call with INVALID_ARGUMENT before it reaches the Greeter.
 * Each Greeter call gets this call's deadline (or GREETER_TIMEOUT_MS, if earlier) and is
 * cancelled with it, and it carries this call's request id, and `greeterToken` when the Greeter
 * requires one (the client's own token is for this service only and is never forwarded). The next message is read
 * only once the previous answer is written, so a slow client slows the Greeter traffic rather
 * than filling our memory.
 */
export function allStreamHandler(greeter: Greeter, greeterToken?: string) {
  return async function allStream(
    call: ServerDuplexStream<AllStreamRequest, AllStreamResponse>,
  ): Promise<void> {
    const signal = signalOf(call);
    const requestId = requestIdOf(call);
    // Not `parent: call`: grpc-js adds a 'cancelled' listener to the parent for every child call
    // and never removes it, so a stream of a million messages would hold a million finished
    // calls until it ends. The deadline and the signal carry the same, and let go of each call.
    const deadline = deadlineOf(call);
    let position = 0;
    try {
      for await (const { name } of messagesOf(call)) {
        position++;
        const problem = checkText(name, { field: 'name', maxLength: ALL_STREAM_LIMITS.maxNameLength });
        if (problem) throw invalidArgument(problem, position);
        const greeting = await greeter
          .sayHello(name, { deadline, signal, timeoutMs: GREETER_TIMEOUT_MS, requestId, token: greeterToken })
          .catch((err: unknown) => {
            throw greeterErrorToStatus(err, greeter.target, position);
          });
        if (signal.aborted) return;
        if (!call.write({ message: greeting.message, servedBy: greeting.servedBy })) {
          await once(call, 'drain', { signal });
        }
      }
    } catch (err: unknown) {
      if (signal.aborted) return;
      throw err;
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
