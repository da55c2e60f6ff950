import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { GetStreamRequest, GetStreamResponse } from '@repo/proto';
import { checkText, invalidArgument, signalOf, type Violation, violation } from '@repo/server-kit';

export const GET_STREAM_LIMITS = {
  maxCount: 10_000_000,
  maxIntervalMs: 60_000,
  /** Under grpc-js's default 4 MiB receive limit, with room for the rest of the message. */
  maxPayloadBytes: 1024 * 1024,
  maxTextLength: 1024,
} as const;

/**
 * What is wrong with a GetStreamRequest (reason COUNT_OUT_OF_RANGE, INTERVAL_MS_TOO_LARGE,
 * PAYLOAD_BYTES_TOO_LARGE, TEXT_TOO_LONG or TEXT_INVALID_TEXT), or undefined when it can be served.
 */
export function checkGetStreamRequest(request: GetStreamRequest): Violation | undefined {
  const { maxCount, maxIntervalMs, maxPayloadBytes, maxTextLength } = GET_STREAM_LIMITS;
  if (request.count < 1 || request.count > maxCount) {
    return violation('count', `must be from 1 to ${maxCount}, got ${request.count}`, 'OUT_OF_RANGE');
  }
  if (request.intervalMs > maxIntervalMs) {
    return violation(
      'interval_ms',
      `must be at most ${maxIntervalMs}, got ${request.intervalMs}`,
      'TOO_LARGE',
    );
  }
  if (request.payloadBytes > maxPayloadBytes) {
    return violation(
      'payload_bytes',
      `must be at most ${maxPayloadBytes}, got ${request.payloadBytes}`,
      'TOO_LARGE',
    );
  }
  return checkText(request.text, { field: 'text', maxLength: maxTextLength, allowEmpty: true });
}

/**
 * Streams `count` messages in order, `intervalMs` apart. Stops at once when the call is
 * cancelled or its deadline passes (the pending timer or 'drain' wait is released), and waits
 * for 'drain' whenever the client reads slower than we write.
 */
export async function getStream(
  call: ServerWritableStream<GetStreamRequest, GetStreamResponse>,
): Promise<void> {
  const request = call.request;
  const problem = checkGetStreamRequest(request);
  if (problem) throw invalidArgument(problem);

  const signal = signalOf(call);
  // Every message may share one filler buffer: it is only read when serialized.
  const payload = Buffer.alloc(request.payloadBytes, 0x2e);
  try {
    for (let index = 1; index <= request.count; index++) {
      if (index > 1 && request.intervalMs > 0) await sleep(request.intervalMs, undefined, { signal });
      if (signal.aborted) return;
      if (!call.write({ index, text: request.text, payload })) await once(call, 'drain', { signal });
    }
  } catch (err: unknown) {
    if (signal.aborted) return;
    throw err;
  }
  call.end();
}
