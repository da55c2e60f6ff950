import { constants } from 'node:http2';
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import {
  GreeterService,
  HelloRequest,
  PutStreamRequest,
  PutStreamResponse,
  StreamServiceClient,
  StreamServiceService,
} from '@repo/proto';
import {
  dataFrame,
  Flag,
  FrameType,
  grpcFrame,
  grpcMessagesOf,
  grpcRequestFields,
  grpcStatusOf,
  headerBlock,
  headersFrame,
  pingFrame,
  RawH2Connection,
  type ReceivedFrame,
  rstStreamFrame,
  waitFor,
  within,
} from '@repo/test-kit';
import { startServer, type TestServer } from './support/servers';
import { type ClientStreamReader, createTestGreeter, createTestStreamService } from './support/test-services';
import { deadlineIn } from './support/timing';

// What Node's HTTP/2 client (grpc-js's) sends when a call is cancelled while it is still sending:
// END_STREAM, then RST_STREAM CANCEL, which may reach the server in a later read. The raw
// connection plays that client, and answers the server's PING only when the test says so.
const PUT_STREAM = '/stream.v1.StreamService/PutStream';
const SAY_HELLO = '/helloworld.Greeter/SayHello';
const requestHeaders = (path: string) => headerBlock(grpcRequestFields(path));
const TEXT = grpcFrame(PutStreamRequest.encode({ text: 'partial' }).finish());

const isServerPing = (f: ReceivedFrame) => f.type === FrameType.PING && (f.flags & Flag.ACK) === 0;

let running: TestServer;
let connection: RawH2Connection;

async function start(reader: ClientStreamReader = 'messagesOf'): Promise<void> {
  running = await startServer([
    { definition: StreamServiceService, implementation: createTestStreamService({}, reader) },
    { definition: GreeterService, implementation: createTestGreeter() },
  ]);
  connection = await RawH2Connection.connect(running.port, {
    [constants.NGHTTP2_SETTINGS_HEADER_TABLE_SIZE]: 0, // so that grpcStatusOf can read the trailers
  });
}

afterEach(async () => {
  connection.destroy();
  await running.server.shutdown(1_000);
});

const callLines = () => running.logs.find('call');

/** Opens a PutStream, sends one text and half-closes; resolves with the server's PING that follows. */
async function uploadAndHalfClose(): Promise<{ id: number; ping: ReceivedFrame }> {
  const id = connection.newStreamId();
  await connection.send(
    headersFrame(id, requestHeaders(PUT_STREAM)),
    dataFrame(id, TEXT),
    dataFrame(id, Buffer.alloc(0), true),
  );
  const ping = await connection.waitFor('the server PING after the half-close', isServerPing, 2_000);
  return { id, ping };
}

describe.each<ClientStreamReader>(['messagesOf', 'forEachMessage'])(
  'the end of a client stream (%s)',
  (reader) => {
    beforeEach(() => start(reader));

    it('is taken for the client’s only once the client answered a PING: nothing is answered before', async () => {
      const { id, ping } = await uploadAndHalfClose();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(connection.framesOn(id)).toEqual([]);

      await connection.send(pingFrame(ping.payload, true));

      const trailers = await connection.waitForEnd(id);
      expect(grpcStatusOf(trailers.payload)).toBe(0);
      const reply = connection.framesOn(id).find((f) => f.type === FrameType.DATA);
      const [message] = grpcMessagesOf(reply?.payload ?? Buffer.alloc(0));
      expect(PutStreamResponse.decode(message ?? Buffer.alloc(0))).toMatchObject({ count: 1 });
      await waitFor('the call line', () => callLines().length === 1, 2_000);
      expect(callLines()).toEqual([
        expect.objectContaining({ method: PUT_STREAM, code: 'OK', level: 'info' }),
      ]);
    });

    it('is a cancellation when a reset comes before the PING’s answer: the partial upload is not answered', async () => {
      const { id, ping } = await uploadAndHalfClose();

      await connection.send(rstStreamFrame(id, constants.NGHTTP2_CANCEL), pingFrame(ping.payload, true));

      await waitFor('the call line', () => callLines().length === 1, 2_000);
      expect(callLines()).toEqual([expect.objectContaining({ method: PUT_STREAM, code: 'CANCELLED' })]);
      await waitFor('the handler to finish', () => running.server.handlers.running === 0, 2_000);
      expect(connection.framesOn(id)).toEqual([]);
    });

    it('comes with the status of a message the handler refused, the client still sending', async () => {
      const streams = new StreamServiceClient(running.target, credentials.createInsecure());
      try {
        const error = await within(
          new Promise<ServiceError | null>((resolve) => {
            const call = streams.putStream({ deadline: deadlineIn(5_000) }, (err) => resolve(err));
            call.write({ text: 'good' });
            call.write({ text: 'bad' });
            call.write({ text: 'after' });
          }),
          5_000,
          'PutStream',
        );

        expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'text must not be "bad"' });
      } finally {
        streams.close();
      }
    });
  },
);

describe('the call log, for a call reset along with its request', () => {
  beforeEach(() => start());

  it('logs CANCELLED, not the OK its handler answered: the answer never went out', async () => {
    const id = connection.newStreamId();
    const hello = grpcFrame(HelloRequest.encode({ name: 'A' }).finish());
    // One write: grpc-js runs the handler before it learns of the reset, and since Node 24 the
    // response write then completes without an error.
    await connection.send(
      headersFrame(id, requestHeaders(SAY_HELLO)),
      dataFrame(id, hello, true),
      rstStreamFrame(id, constants.NGHTTP2_CANCEL),
    );

    await waitFor('the call line', () => callLines().length === 1, 2_000);
    expect(callLines()).toEqual([expect.objectContaining({ method: SAY_HELLO, code: 'CANCELLED' })]);
    expect(connection.framesOn(id)).toEqual([]);
  });
});
