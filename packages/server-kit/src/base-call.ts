import type { ServerInterceptingCallInterface, StatusObject } from '@grpc/grpc-js';
import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors';

/** Frame header of a gRPC message: a compressed flag and a 4-byte length. */
const FRAME_HEADER_BYTES = 5;

/** What the call log learns from grpc-js's base server call of a call it observes. */
export interface BaseCallObserver {
  /** Message bytes, as on the wire (compressed, without frame headers). */
  sentBytes: number;
  receivedBytes: number;
  /** Every status the base call is asked to send, its own included (see installHooks). */
  statusSent(status: Partial<StatusObject> & { code: number; details: string }): void;
}

/**
 * The private methods of grpc-js's base server call that the hooks wrap: the one every status
 * goes through (grpc-js sends some from inside the base call, past any interceptor: a request
 * it cannot decode or decompress, a message over the size limits, a deadline), the one that
 * frames a response, and the one that takes a request off the wire still compressed. grpc-js
 * has no public hook that sees these.
 */
interface BaseCall {
  sendStatus(status: StatusObject): void;
  serializeMessage(value: unknown): Buffer;
  decompressAndMaybePush(entry: { compressedMessage: Buffer | null }): Promise<void>;
  /** The HTTP/2 stream (a private field), whose state decides whether grpc-js still sends a status. */
  stream?: { readonly closed: boolean; readonly destroyed: boolean };
  [OBSERVER]?: BaseCallObserver;
}

const OBSERVER = Symbol('server-kit call observer');

let installed = false;

/**
 * Wraps the base call's private methods once for the whole process, on its prototype, the way
 * OpenTelemetry's instrumentations wrap libraries: a call with no observer (another server in
 * the process, or one made before) pays a property read, and an observed call allocates
 * nothing for it. Throws, at start-up rather than at the first call, when the grpc-js in use
 * no longer has them.
 */
export function installBaseCallHooks(): void {
  if (installed) return;
  const prototype = BaseServerInterceptingCall.prototype as unknown as BaseCall;
  const { sendStatus, serializeMessage, decompressAndMaybePush } = prototype;
  if (
    typeof sendStatus !== 'function' ||
    typeof serializeMessage !== 'function' ||
    typeof decompressAndMaybePush !== 'function'
  ) {
    throw new Error(
      "@grpc/grpc-js's base server call has no sendStatus/serializeMessage/decompressAndMaybePush: the call log needs updating for this version",
    );
  }
  prototype.sendStatus = function (this: BaseCall, status) {
    this[OBSERVER]?.statusSent(status);
    sendStatus.call(this, status);
  };
  prototype.serializeMessage = function (this: BaseCall, value) {
    const framed = serializeMessage.call(this, value);
    const observer = this[OBSERVER];
    if (observer) observer.sentBytes += framed.length - FRAME_HEADER_BYTES;
    return framed;
  };
  prototype.decompressAndMaybePush = function (this: BaseCall, entry) {
    const observer = this[OBSERVER];
    if (observer && entry.compressedMessage) {
      observer.receivedBytes += entry.compressedMessage.length - FRAME_HEADER_BYTES;
    }
    return decompressAndMaybePush.call(this, entry);
  };
  installed = true;
}

/**
 * Makes `observer` see what grpc-js's base call `call` does (installBaseCallHooks first).
 * False when `call` is not the base call: the interceptor that observes is not the first.
 */
export function observeBaseCall(call: ServerInterceptingCallInterface, observer: BaseCallObserver): boolean {
  if (!(call instanceof BaseServerInterceptingCall)) return false;
  (call as unknown as BaseCall)[OBSERVER] = observer;
  return true;
}

/**
 * Whether the base call's HTTP/2 stream is already closed or destroyed: grpc-js then drops a
 * status instead of sending it, and what the call got is the reset. False when grpc-js has no
 * such field any more (the call-log tests then fail on a reset call logged as OK).
 */
export function streamGone(call: ServerInterceptingCallInterface): boolean {
  const stream = (call as unknown as BaseCall).stream;
  return stream !== undefined && (stream.destroyed === true || stream.closed === true);
}
