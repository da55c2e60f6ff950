import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors';

/** Frame header of a gRPC message: a compressed flag and a 4-byte length. */
const FRAME_HEADER_BYTES = 5;

/**
 * The two private methods of grpc-js's base server call that every message passes through:
 * the one that frames a response, and the one that takes a request off the wire still
 * compressed. grpc-js has no public hook that sees wire sizes.
 */
interface MessageHooks {
  serializeMessage(value: unknown): Buffer;
  decompressAndMaybePush(entry: { compressedMessage: Buffer | null }): Promise<void>;
}

/** Throws when the grpc-js in use no longer has the methods countMessageBytes wraps (start-up, not the first call). */
export function assertMessageHooks(): void {
  const prototype = BaseServerInterceptingCall.prototype as unknown as Partial<MessageHooks>;
  if (
    typeof prototype.serializeMessage !== 'function' ||
    typeof prototype.decompressAndMaybePush !== 'function'
  ) {
    throw new Error(
      "@grpc/grpc-js's base server call has no serializeMessage/decompressAndMaybePush: message size metrics need updating for this version",
    );
  }
}

/** Message bytes of one call, as on the wire (compressed, without frame headers). */
export interface MessageBytes {
  sent: number;
  received: number;
}

/**
 * Counts the message bytes of a call from now on. `call` must be grpc-js's base call, which
 * the first server interceptor receives.
 */
export function countMessageBytes(call: ServerInterceptingCallInterface): MessageBytes {
  const bytes: MessageBytes = { sent: 0, received: 0 };
  const hooks = call as unknown as MessageHooks;
  const serialize = hooks.serializeMessage;
  hooks.serializeMessage = (value) => {
    const framed = serialize.call(call, value);
    bytes.sent += framed.length - FRAME_HEADER_BYTES;
    return framed;
  };
  const push = hooks.decompressAndMaybePush;
  hooks.decompressAndMaybePush = (entry) => {
    if (entry.compressedMessage) bytes.received += entry.compressedMessage.length - FRAME_HEADER_BYTES;
    return push.call(call, entry);
  };
  return bytes;
}
