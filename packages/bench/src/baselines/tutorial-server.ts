// NOT PRODUCT CODE: a benchmark baseline. What the grpc-js tutorial teaches and nothing more:
// the protos loaded at run time with @grpc/proto-loader (options as in the grpc-node examples),
// plain handlers, one insecure bindAsync. No health, no reflection, no logging, no validation,
// no graceful shutdown. It serves the same protos as our services, so the same clients and load
// drive both, and the difference is what our production code costs.
//
// Environment: PORT (default 50051), HOST (default 127.0.0.1). Prints our services' ready line,
// `{"msg":"serving","port":<port>}`, once bound. SIGTERM ends the process (the default action).
//
// AllStream is the "no hop" baseline: it greets each name itself, whereas our stream service
// asks helloworld.Greeter over the network for every message.
import { once } from 'node:events';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

interface GetStreamRequest {
  text: string;
  count: number;
  interval_ms: number;
  payload_bytes: number;
}

const protosDir = dirname(require.resolve('@repo/protos/package.json'));
const definition = loadSync(['helloworld/helloworld.proto', 'stream/v1/stream.proto'], {
  includeDirs: [protosDir],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
// proto-loader's objects are untyped by design: the tutorial navigates them by name.
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  helloworld: { Greeter: grpc.ServiceClientConstructor };
  stream: { v1: { StreamService: grpc.ServiceClientConstructor } };
};
const servedBy = `${hostname()}/${process.pid}`;

function sayHello(
  call: grpc.ServerUnaryCall<{ name: string }, { message: string }>,
  callback: grpc.sendUnaryData<{ message: string }>,
): void {
  callback(null, { message: `Hello ${call.request.name}` });
}

async function getStream(call: grpc.ServerWritableStream<GetStreamRequest, unknown>): Promise<void> {
  const { text, count, interval_ms, payload_bytes } = call.request;
  const cancelled = new AbortController();
  call.on('cancelled', () => cancelled.abort());
  const { signal } = cancelled;
  const payload = Buffer.alloc(payload_bytes, 0x2e);
  try {
    for (let index = 1; index <= count; index++) {
      if (index > 1 && interval_ms > 0) await setTimeout(interval_ms, undefined, { signal });
      signal.throwIfAborted();
      // A careful tutorial respects backpressure: a slow reader must not make us buffer everything.
      if (!call.write({ index, text, payload })) await once(call, 'drain', { signal });
    }
    call.end();
  } catch (err: unknown) {
    // Cancelled by the client: nothing more to send. Anything else is a bug, and is not hidden.
    if (!signal.aborted) throw err;
  }
}

const FIRST_TEXTS = 3;
const PREVIEW_CHARS = 24;

function clip(text: string): string {
  const chars = Array.from(text);
  return chars.length <= PREVIEW_CHARS ? text : `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…`;
}

/**
 * PutStream's answer, the same summary as our stream service's (services/stream/src/put-stream.ts),
 * so that the two are comparable message for message: count, total UTF-8 bytes, and a preview
 * made of the first three texts, an ellipsis when some were left out, and the last one, each cut
 * to 24 characters. Constant memory: only the first three and the latest text are kept.
 */
function putStream(
  call: grpc.ServerReadableStream<{ text: string }, unknown>,
  callback: grpc.sendUnaryData<unknown>,
): void {
  let count = 0;
  let bytes = 0;
  const first: string[] = [];
  let latest = '';
  call.on('data', ({ text }: { text: string }) => {
    count++;
    bytes += Buffer.byteLength(text, 'utf8');
    if (first.length < FIRST_TEXTS) first.push(clip(text));
    else latest = text;
  });
  call.on('end', () => {
    const preview = [...first, ...(count > FIRST_TEXTS + 1 ? ['…'] : [])];
    if (count > FIRST_TEXTS) preview.push(clip(latest));
    callback(null, { count, bytes, preview: preview.join(', ') });
  });
}

function allStream(call: grpc.ServerDuplexStream<{ name: string }, unknown>): void {
  call.on('data', (message: { name: string }) => {
    if (!call.write({ message: `Hello ${message.name}`, served_by: servedBy })) {
      call.pause();
      call.once('drain', () => call.resume());
    }
  });
  call.on('end', () => call.end());
}

const server = new grpc.Server();
server.addService(loaded.helloworld.Greeter.service, { SayHello: sayHello });
server.addService(loaded.stream.v1.StreamService.service, {
  GetStream: (call: grpc.ServerWritableStream<GetStreamRequest, unknown>) => void getStream(call),
  PutStream: putStream,
  AllStream: allStream,
});

const address = `${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 50051}`;
server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`cannot listen on ${address}: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ msg: 'serving', port })}\n`);
});
