import type { OutgoingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import type { Greeter } from '@repo/greeter-client';
import {
  grpcFrame,
  grpcRequestHeaders,
  type RawOutcome,
  rawGrpcCall,
  type ServiceProcess,
} from '@repo/test-kit';
import { startAttackedGreeter } from './support/attacked';
import { expectStillServing } from './support/liveness';

// The attacker is this process, speaking raw HTTP/2 where the library's client would refuse to
// send such bytes; the Greeter runs in a process of its own, whose memory is read from /proc.
const MiB = 1024 * 1024;
const PATH = '/helloworld.Greeter/SayHello';

/** Sends one SayHello whose body is `body`, octet for octet, and says how it ended. */
function rawCall(target: string, body: Buffer, headers: OutgoingHttpHeaders = {}): Promise<RawOutcome> {
  return rawGrpcCall(target, { headers: grpcRequestHeaders(PATH, headers), body, timeoutMs: 10_000 });
}

describe('the Greeter under hostile input', () => {
  let service: ServiceProcess;
  let greeter: Greeter;
  let baseline: number;

  beforeAll(async () => {
    ({ service, greeter, baseline } = await startAttackedGreeter());
  });

  afterAll(async () => {
    greeter.close();
    await service.stop();
  });

  afterEach(async () => {
    // Still serving, and its memory did not follow the attack.
    await expectStillServing(service, baseline, 64 * MiB);
  });

  it('answers RESOURCE_EXHAUSTED to a message that declares 100 MiB and sends a few bytes', async () => {
    const answer = await rawCall(
      service.target,
      grpcFrame(Buffer.from([0x0a, 0x01, 0x41]), { declaredLength: 100 * MiB }),
    );

    expect(answer).toMatchObject({ grpcStatus: status.RESOURCE_EXHAUSTED });
  });

  it('answers RESOURCE_EXHAUSTED to a gzip bomb: 100 MiB of zeros in about 100 KB', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);

    const answer = await rawCall(service.target, grpcFrame(bomb, { flag: 1 }), {
      'grpc-encoding': 'gzip',
    });

    expect(answer).toMatchObject({ grpcStatus: status.RESOURCE_EXHAUSTED });
  });

  it('answers INTERNAL to a body that is not valid gzip', async () => {
    const answer = await rawCall(
      service.target,
      grpcFrame(Buffer.from('this is not gzip at all'), { flag: 1 }),
      {
        'grpc-encoding': 'gzip',
      },
    );

    expect(answer).toMatchObject({ grpcStatus: status.INTERNAL });
  });

  it.each([
    ['a truncated varint', Buffer.from([0x08, 0xff, 0xff])],
    ['wire type 6', Buffer.from([0x0e, 0x00])],
    ['wire type 7', Buffer.from([0x0f, 0x00])],
    ['a length past the end', Buffer.from([0x0a, 0x7f, 0x41])],
    ['100,000 nested groups', Buffer.concat([Buffer.alloc(100_000, 0x13), Buffer.alloc(100_000, 0x14)])],
  ])('answers INTERNAL to a HelloRequest with %s, without crashing', async (_what, message) => {
    const answer = await rawCall(service.target, grpcFrame(message));

    expect(answer).toMatchObject({ grpcStatus: status.INTERNAL });
  });

  it('answers INVALID_ARGUMENT to a name that is not valid UTF-8', async () => {
    const answer = await rawCall(service.target, grpcFrame(Buffer.from([0x0a, 0x02, 0xc3, 0x28])));

    expect(answer).toMatchObject({
      grpcStatus: status.INVALID_ARGUMENT,
      grpcMessage: 'name must be valid UTF-8 text without control characters',
    });
  });

  it('skips a huge repeated unknown field (1,000,000 entries, 2 MB) and answers the name it carries', async () => {
    // HelloRequest{name="big"} followed by field 2 (varint 1) a million times: a decoder that
    // kept unknown fields, or recursed per field, would show it in time or memory.
    const unknown = Buffer.alloc(2_000_000);
    for (let i = 0; i < unknown.length; i += 2) unknown.set([0x10, 0x01], i);
    const message = Buffer.concat([Buffer.from([0x0a, 0x03]), Buffer.from('big'), unknown]);

    const answer = await rawCall(service.target, grpcFrame(message));

    expect(answer).toMatchObject({ grpcStatus: status.OK, grpcMessage: 'OK' });
  });
});
