// NOT PRODUCT CODE: a benchmark baseline. A bare node:http2 server that speaks just enough gRPC
// to answer helloworld.Greeter/SayHello with a response computed once at start-up, and
// stream.v1.StreamService/GetStream with frames built from shared buffers. No gRPC library, and
// replies written by hand (loading even @bufbuild/protobuf's wire codec takes 6 ms of its 52 ms
// start-up, and its writer spent half as much CPU again on each GetStream message), no
// validation, no logging: whatever a Node gRPC server does per call costs at least what this
// costs, so it is the ceiling that our services and the tutorial server are measured against.
//
// Environment: PORT (default 50051), HOST (default 127.0.0.1). Prints our services' ready line,
// `{"msg":"serving","port":<port>}`, once bound. SIGTERM ends the process (the default action;
// nothing to drain in a baseline).
//
// GetStream honours count, text and payload_bytes; a request with interval_ms > 0 is answered
// UNIMPLEMENTED, since the ceiling only stands for "as fast as the client reads".
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';

const GRPC_OK = '0';
const GRPC_INTERNAL = '13';
const GRPC_UNIMPLEMENTED = '12';

/** A gRPC length-prefixed message's 5-octet prefix: flag 0 (uncompressed), the length big-endian. */
function prefixOf(length: number): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

/** A protobuf varint: 7 bits an octet, least significant first (a non-negative safe integer). */
function varint(value: number): number[] {
  const octets: number[] = [];
  for (let rest = value; ; rest = Math.floor(rest / 0x80)) {
    if (rest < 0x80) return [...octets, rest];
    octets.push((rest % 0x80) | 0x80);
  }
}

/** A length-delimited field (tag: field number × 8 + wire type 2); empty, it is left out, as proto3 does. */
function lengthDelimited(field: number, value: Buffer): Buffer {
  if (value.length === 0) return value;
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(value.length)]), value]);
}

/** HelloReply{message: "Hello world"}, framed, built once: the whole point of the ceiling. */
const HELLO_REPLY = lengthDelimited(1, Buffer.from('Hello world'));
const HELLO_REPLY_FRAME = Buffer.concat([prefixOf(HELLO_REPLY.length), HELLO_REPLY]);

function answerStatus(stream: ServerHttp2Stream, code: string, message: string): void {
  // Trailers-only response: one HEADERS frame with END_STREAM, as gRPC servers send errors.
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': code, 'grpc-message': message },
    { endStream: true },
  );
}

function respondWithTrailers(stream: ServerHttp2Stream): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': GRPC_OK }));
}

function sayHello(stream: ServerHttp2Stream): void {
  // The request is read but not decoded: every caller gets the same answer.
  stream.resume();
  stream.once('end', () => {
    if (stream.destroyed) return;
    respondWithTrailers(stream);
    stream.end(HELLO_REPLY_FRAME);
  });
}

/**
 * The GetStreamRequest of the first message of `stream`'s body; throws on a compressed or cut
 * message. Decoded by @bufbuild/protobuf's reader, loaded on the first GetStream: once per call,
 * it costs nothing measured, and SayHello's start-up does not pay for it.
 */
async function getStreamRequestOf(stream: ServerHttp2Stream) {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const length = body.length >= 5 && body[0] === 0 ? body.readUInt32BE(1) : Number.NaN;
  if (!(body.length >= 5 + length)) throw new Error('no complete uncompressed gRPC message');
  const { BinaryReader } = require('@bufbuild/protobuf/wire') as typeof import('@bufbuild/protobuf/wire');
  const reader = new BinaryReader(body.subarray(5, 5 + length));
  // text = 1, count = 2, interval_ms = 3, payload_bytes = 4.
  const request = { text: Buffer.alloc(0), count: 0, intervalMs: 0, payloadBytes: 0 };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) request.text = Buffer.from(reader.bytes());
    else if (field === 2) request.count = reader.uint32();
    else if (field === 3) request.intervalMs = reader.uint32();
    else if (field === 4) request.payloadBytes = reader.uint32();
    else reader.skip(wireType, field);
  }
  return request;
}

async function getStream(stream: ServerHttp2Stream): Promise<void> {
  const { text, count, intervalMs, payloadBytes } = await getStreamRequestOf(stream);
  if (intervalMs > 0) {
    answerStatus(stream, GRPC_UNIMPLEMENTED, 'the ceiling server streams without interval');
    return;
  }
  // GetStreamResponse: index = 1, text = 2, payload = 3. Only the index differs between
  // messages, so the rest is encoded once (proto3 leaves empty fields out).
  const rest = Buffer.concat([
    lengthDelimited(2, text),
    lengthDelimited(3, Buffer.alloc(payloadBytes, 0x2e)),
  ]);
  const closed = new AbortController();
  stream.once('close', () => closed.abort());
  respondWithTrailers(stream);
  for (let index = 1; index <= count; index++) {
    if (stream.destroyed) return;
    const indexField = Buffer.from([1 * 8, ...varint(index)]);
    stream.write(Buffer.concat([prefixOf(indexField.length + rest.length), indexField]));
    // Aborted when the client goes away: the rejection ends the call (see route).
    if (!stream.write(rest)) await once(stream, 'drain', { signal: closed.signal });
  }
  if (!stream.destroyed) stream.end();
}

function route(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  // A client that resets its stream (h2load at the end of a run) must not crash the server.
  stream.on('error', () => {});
  switch (headers[':path']) {
    case '/helloworld.Greeter/SayHello':
      sayHello(stream);
      return;
    case '/stream.v1.StreamService/GetStream':
      getStream(stream).catch((err: unknown) => {
        if (stream.destroyed || stream.headersSent) return;
        answerStatus(stream, GRPC_INTERNAL, err instanceof Error ? err.message : 'internal error');
      });
      return;
    default:
      stream.resume();
      answerStatus(stream, GRPC_UNIMPLEMENTED, `${headers[':path']} is not served by the ceiling server`);
  }
}

const server = createServer();
server.on('stream', route);
server.listen(Number(process.env.PORT ?? 50051), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'serving', port })}\n`);
});
