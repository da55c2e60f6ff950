import { connect, type OutgoingHttpHeaders } from 'node:http2';
import { within } from '@repo/test-kit';

/** How a raw HTTP/2 request ended: the gRPC status it got, if any, and the stream's reset code. */
export interface RawOutcome {
  /** `grpc-status`, from the trailers or a trailers-only response; undefined when none came. */
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
  /** RST_STREAM error code (0: the stream closed normally). */
  rstCode: number | undefined;
}

/** One gRPC message frame: uncompressed flag, 4-byte big-endian length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/**
 * Sends one gRPC request with exactly these headers and `:path`, bypassing grpc-js's client
 * (which would not send a malformed path), and resolves once the stream has closed, within 5 s.
 * `body` is framed as one message; undefined sends none (the request ends after its headers).
 */
export async function rawGrpcCall(
  target: string,
  path: string,
  body: Uint8Array | undefined,
  headers: OutgoingHttpHeaders = {},
): Promise<RawOutcome> {
  const session = connect(`http://${target}`);
  session.on('error', () => {}); // The outcome is read from the stream; a session error ends it.
  try {
    return await within(
      new Promise<RawOutcome>((resolve) => {
        const outcome: RawOutcome = { grpcStatus: undefined, grpcMessage: undefined, rstCode: undefined };
        const read = (fields: Record<string, unknown>) => {
          if (fields['grpc-status'] !== undefined) outcome.grpcStatus = Number(fields['grpc-status']);
          if (fields['grpc-message'] !== undefined) {
            outcome.grpcMessage = decodeURIComponent(String(fields['grpc-message']));
          }
        };
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          ...headers,
        });
        stream.on('response', read);
        stream.on('trailers', read);
        stream.on('error', () => {}); // A reset shows in rstCode.
        stream.on('close', () => resolve({ ...outcome, rstCode: stream.rstCode }));
        stream.resume();
        stream.end(body === undefined ? undefined : grpcFrame(body));
      }),
      5_000,
      `a raw call to ${path}`,
    );
  } finally {
    session.close();
  }
}
