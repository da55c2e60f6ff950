import { Server, ServerCredentials } from '@grpc/grpc-js';
import { type StreamServiceServer, StreamServiceService } from '@repo/proto';
import { type LoadKind, runLoad } from '../src/load';

/**
 * A StreamService in this process that gets one thing wrong in each method: GetStream skips
 * index 2, PutStream's summary counts one message too few, AllStream greets with "Hi".
 */
const wrongStreamService: StreamServiceServer = {
  getStream(call) {
    for (let index = 1; index <= call.request.count; index++) {
      call.write({ index: index === 2 ? 3 : index, text: call.request.text, payload: Buffer.alloc(0) });
    }
    call.end();
  },
  putStream(call, callback) {
    let count = 0;
    let bytes = 0;
    call.on('data', ({ text }: { text: string }) => {
      count++;
      bytes += Buffer.byteLength(text);
    });
    call.on('end', () => callback(null, { count: count - 1, bytes, preview: '' }));
  },
  allStream(call) {
    call.on('data', ({ name }: { name: string }) => call.write({ message: `Hi ${name}`, servedBy: 'fake' }));
    call.on('end', () => call.end());
  },
};

let server: Server;
let target: string;

beforeAll(async () => {
  server = new Server();
  server.addService(StreamServiceService, wrongStreamService);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  target = `127.0.0.1:${port}`;
});

afterAll(() => server.forceShutdown());

describe('runLoad against a stream service with wrong answers', () => {
  it.each<LoadKind>(['get-stream', 'put-stream', 'all-stream'])(
    'counts every %s call as BAD_PAYLOAD and none as a success',
    async (kind) => {
      // A bounded number of calls: the load tool cancels each call at its first wrong message, and
      // a run of a few hundred resets a second on one connection meets Node 24's rapid-reset
      // defence (RST_STREAM INTERNAL_ERROR, then GOAWAY), which is not what this test is about.
      const result = await runLoad({ target, kind, streams: 2, count: 20, messagesPerCall: 5 });
      expect(result.calls).toBe(0);
      expect(result.errors).toEqual({ BAD_PAYLOAD: 20 });
      expect(result.unfinished).toBe(0);
    },
  );

  it('counts the same GetStream as a success when the mistake is never reached (one message per call)', async () => {
    const result = await runLoad({ target, kind: 'get-stream', count: 3, messagesPerCall: 1 });
    expect(result.calls).toBe(3);
    expect(result.errors).toEqual({});
  });
});
