import { type ClientHttp2Session, connect, type OutgoingHttpHeaders } from 'node:http2';

// A gRPC call made over node:http2 rather than through grpc-js's client, which would not send a
// malformed path, a lying message prefix or a header it does not know: the test chooses every
// header and every body octet (frame messages with grpcFrame).

/**
 * The header fields a gRPC client starts a call to `path` with (PROTOCOL-HTTP2.md), in the order
 * it sends them: 4 pseudo-headers, content-type, te. For a raw HTTP/2 connection (headerBlock).
 */
export function grpcRequestFields(path: string): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', '127.0.0.1'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ];
}

/** The same for node:http2 (which adds :scheme and :authority itself), with `extra` after them. */
export function grpcRequestHeaders(path: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  const own = grpcRequestFields(path).filter(([name]) => name !== ':scheme' && name !== ':authority');
  return { ...Object.fromEntries(own), ...extra };
}

interface RawRequest {
  /** Every header, pseudo-headers included, as sent (see grpcRequestHeaders). */
  headers: OutgoingHttpHeaders;
  /** The request body, octet for octet (see grpcFrame); null: END_STREAM on the HEADERS. */
  body: Uint8Array | null;
  /** Sends the body this long after the headers (0: on the next turn of the event loop); at once by default. */
  bodyDelayMs?: number;
  /** How long the stream may stay open before the call closes it itself (`timedOut`); 5 s by default. */
  timeoutMs?: number;
}

/** How a raw call's stream ended. */
export interface RawOutcome {
  /** `:status` of the response headers; undefined when none came. */
  httpStatus: number | undefined;
  /** `grpc-status`, from the trailers or a trailers-only response; undefined when none came. */
  grpcStatus: number | undefined;
  /** `grpc-message`, percent-decoded; undefined when none came. */
  grpcMessage: string | undefined;
  /** The RST_STREAM code the stream closed with; 0 when it closed normally or at the timeout. */
  rstCode: number;
  /** Whether the stream was still open at `timeoutMs`, and the call closed it. */
  timedOut: boolean;
}

/**
 * Makes one call on `session`, or on a connection of its own to `target` (host:port, closed
 * afterwards), and resolves once its stream has closed, whichever way: never rejects.
 */
export async function rawGrpcCall(on: ClientHttp2Session | string, request: RawRequest): Promise<RawOutcome> {
  if (typeof on !== 'string') return callOn(on, request);
  const session = connect(`http://${on}`);
  session.on('error', () => {}); // The outcome is read from the stream; a session error ends it.
  try {
    return await callOn(session, request);
  } finally {
    session.close();
  }
}

function callOn(
  session: ClientHttp2Session,
  { headers, body, bodyDelayMs, timeoutMs = 5_000 }: RawRequest,
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const outcome: RawOutcome = {
      httpStatus: undefined,
      grpcStatus: undefined,
      grpcMessage: undefined,
      rstCode: 0,
      timedOut: false,
    };
    const stream = session.request(headers, { endStream: body === null });
    const timer = setTimeout(() => {
      outcome.timedOut = true;
      stream.close();
    }, timeoutMs);
    const read = (fields: Record<string, unknown>) => {
      if (fields[':status'] !== undefined) outcome.httpStatus = Number(fields[':status']);
      if (fields['grpc-status'] !== undefined) outcome.grpcStatus = Number(fields['grpc-status']);
      if (fields['grpc-message'] !== undefined) {
        outcome.grpcMessage = decodeURIComponent(String(fields['grpc-message']));
      }
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('error', () => {}); // A reset shows in rstCode.
    stream.on('close', () => {
      clearTimeout(timer);
      resolve({ ...outcome, rstCode: stream.rstCode ?? 0 });
    });
    stream.resume();
    if (body === null) return;
    if (bodyDelayMs === undefined) stream.end(body);
    else setTimeout(() => stream.end(body), bodyDelayMs);
  });
}
