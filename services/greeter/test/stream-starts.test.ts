import { type ClientHttp2Session, connect, constants, type OutgoingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { Greeter } from '@repo/greeter-client';
import {
  dataFrame,
  Flag,
  FrameType,
  grpcFrame,
  grpcRequestFields,
  grpcRequestHeaders,
  grpcStatusOf,
  headerBlock,
  headersFrame,
  RawH2Connection,
  type ReceivedFrame,
  rawGrpcCall,
  rstStreamFrame,
  type ServiceProcess,
  statusOf,
} from '@repo/test-kit';
import { startAttackedGreeter } from './support/attacked';
import { expectStillServing } from './support/liveness';

// Hundreds of ways to start a stream, generated as cross products, each with the answers it may
// get. An answer is `grpc <grpc-status>`, `http <:status>` (no grpc-status), `rst <RST_STREAM
// code>`, or `nothing` (no frame on the stream within the wait). What they record is grpc-js
// 1.14 on Node 20 as it is, laxness included (see the comments on the rules).
const MiB = 1024 * 1024;
const RSS_GROWTH_BOUND = 48 * MiB;
const SAY_HELLO = '/helloworld.Greeter/SayHello';
const ANSWER_WITHIN_MS = 3_000;
const LIVENESS_EVERY = 100;
const PROTOCOL_ERROR = `rst ${constants.NGHTTP2_PROTOCOL_ERROR}`;

type Answer = string;

interface Variant {
  name: string;
  expected: readonly Answer[];
}

interface NodeVariant extends Variant {
  headers: OutgoingHttpHeaders;
  /** The request body; null: END_STREAM on HEADERS. */
  body: Buffer | null;
  /** Sends the body this long after the headers (default: at once). */
  bodyDelayMs?: number;
}

interface RawVariant extends Variant {
  fields: [string, string | Buffer][];
  endStream: boolean;
  /** RST_STREAM(CANCEL) in the same write as the HEADERS. */
  reset: boolean;
}

/** HelloRequest { name: "A" }, or `message`, as a gRPC message with `flag` as its Compressed-Flag. */
const hello = (flag = 0, message = Buffer.from([0x0a, 0x01, 0x41])) => grpcFrame(message, { flag });

/** Starts one stream with node:http2 and classifies how it ends. */
async function answerOf(
  session: ClientHttp2Session,
  { headers, body, bodyDelayMs }: NodeVariant,
): Promise<Answer> {
  const { httpStatus, grpcStatus, rstCode } = await rawGrpcCall(session, {
    headers,
    body,
    bodyDelayMs: bodyDelayMs ?? 0,
    timeoutMs: ANSWER_WITHIN_MS,
  });
  if (grpcStatus !== undefined) return `grpc ${grpcStatus}`;
  if (rstCode) return httpStatus === undefined ? `rst ${rstCode}` : `http ${httpStatus}`;
  return httpStatus === undefined ? 'nothing' : `http ${httpStatus}`;
}

/** Starts one stream in raw frames and classifies how it ends (a reset variant waits 200 ms for nothing). */
async function rawAnswerOf(connection: RawH2Connection, variant: RawVariant): Promise<Answer> {
  const id = connection.newStreamId();
  const start = headersFrame(id, headerBlock(variant.fields), { endStream: variant.endStream });
  const rest = variant.reset
    ? rstStreamFrame(id)
    : variant.endStream
      ? Buffer.alloc(0)
      : dataFrame(id, hello(), true);
  await connection.send(start, rest);
  const ends = (f: ReceivedFrame) =>
    f.streamId === id &&
    (f.type === FrameType.RST_STREAM || (f.type === FrameType.HEADERS && (f.flags & Flag.END_STREAM) !== 0));
  const end = await connection
    .waitFor('the end', ends, variant.reset ? 200 : ANSWER_WITHIN_MS)
    .catch(() => undefined);
  if (!end) return connection.framesOn(id).length === 0 ? 'nothing' : 'unfinished';
  if (end.type === FrameType.RST_STREAM) return `rst ${end.payload.readUInt32BE(0)}`;
  const grpcStatus = grpcStatusOf(end.payload);
  return grpcStatus === undefined ? `http ${statusOf(end.payload)}` : `grpc ${grpcStatus}`;
}

// --- :path x :method x content-type x te --------------------------------------------------------

/** `refused`: nghttp2 resets the stream before grpc-js sees it; `unknown`: no such method here. */
const PATHS: [string, string, 'served' | 'unknown' | 'refused'][] = [
  ['SayHello', SAY_HELLO, 'served'],
  ['an empty path', '', 'refused'],
  ['"*"', '*', 'refused'],
  ['no leading slash', SAY_HELLO.slice(1), 'refused'],
  ['an unknown service', '/helloworld.Farewell/SayHello', 'unknown'],
  ['an unknown method', '/helloworld.Greeter/SayGoodbye', 'unknown'],
  ['a 30,000-character path', `/${'a'.repeat(30_000)}`, 'unknown'],
  ['a percent-encoded method', '/helloworld.Greeter/Say%48ello', 'unknown'], // grpc-js does not decode paths
  ['a non-ASCII method', '/helloworld.Greeter/SayHéllo', 'unknown'],
  ['a query', `${SAY_HELLO}?name=A`, 'unknown'],
  ['a trailing slash', `${SAY_HELLO}/`, 'unknown'],
  ['a doubled slash', `/${SAY_HELLO}`, 'unknown'],
  ['lower case', SAY_HELLO.toLowerCase(), 'unknown'],
];
// grpc-js looks at neither :method nor te: GET and PUT are served like POST.
const METHODS = ['POST', 'GET', 'PUT'];
const TES = ['trailers', undefined];
// grpc-js takes any content-type that starts with application/grpc (so application/grpcfoo, and
// +json, whose body it still parses as protobuf); any other, or none, is HTTP 415.
const CONTENT_TYPES = [
  undefined,
  'application/grpc',
  'application/json',
  'application/grpc+proto',
  'application/grpc+json',
  'text/plain',
  'application/grpcfoo',
];

function pathVariants(): NodeVariant[] {
  return PATHS.flatMap(([pathName, path, kind]) =>
    METHODS.flatMap((method) =>
      CONTENT_TYPES.flatMap((contentType) =>
        TES.map((te) => {
          const grpcContent = contentType?.startsWith('application/grpc') ?? false;
          const expected =
            kind === 'refused'
              ? PROTOCOL_ERROR
              : !grpcContent
                ? `http ${constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE}`
                : kind === 'served'
                  ? 'grpc 0'
                  : 'grpc 12'; // UNIMPLEMENTED
          return {
            name: `${method} ${pathName}, content-type ${contentType}, te ${te}`,
            headers: {
              ':method': method,
              ':path': path,
              ...(contentType !== undefined && { 'content-type': contentType }),
              ...(te !== undefined && { te }),
            },
            body: hello(),
            expected: [expected],
          };
        }),
      ),
    ),
  );
}

// --- grpc-timeout x grpc-encoding x body ---------------------------------------------------------

// grpc-js matches timeouts with an unanchored /(\d{1,8})\s*([HMSmun])/: "999999999S" is read as
// 99999999 S and "-1S" as 1 S. It then computes milliseconds with `| 0`, so a timeout past 2^31 ms
// ("99999999M") wraps; a negative one makes an immediately expiring timer.
const TIMEOUTS: [string | undefined, 'none' | 'rejected' | 'expired' | 'valid'][] = [
  [undefined, 'none'],
  ['100m', 'valid'],
  ['Infinity', 'rejected'],
  ['999999999S', 'valid'],
  ['1n', 'expired'],
  ['0S', 'expired'],
  ['-1S', 'valid'],
  ['10x', 'rejected'],
  ['', 'rejected'],
  ['99999999M', 'expired'],
];
const ENCODINGS = [undefined, 'identity', 'gzip', 'deflate', 'br', 'snappy', 'garbage!'];
const GZIPPED = gzipSync(Buffer.from([0x0a, 0x01, 0x41]));
/** How grpc-js reads each body: it decompresses a message only when its flag is exactly 1. */
const BODIES: [string, Buffer | null, 'none' | 'plain' | 'flagged' | 'gzipped'][] = [
  ['a message', hello(), 'plain'],
  ['END_STREAM and no body', null, 'none'],
  ['a plain message flagged compressed', hello(1), 'flagged'],
  ['a message with compressed flag 2', hello(2), 'plain'],
  ['a gzipped message', hello(1, GZIPPED), 'gzipped'],
];

/** The grpc-status SayHello answers a body with, under an acceptable timeout. */
function bodyAnswer(encoding: string | undefined, body: 'none' | 'plain' | 'flagged' | 'gzipped'): number {
  if (body === 'none') return 12; // UNIMPLEMENTED "Received no request message"
  if (body === 'plain') return 0;
  // Flagged compressed under identity, the bytes are taken as they are (not INTERNAL, as gRPC says).
  if (encoding === undefined || encoding === 'identity') return body === 'gzipped' ? 13 : 0;
  if (encoding !== 'gzip' && encoding !== 'deflate') return 12; // UNIMPLEMENTED: unsupported encoding
  return encoding === 'gzip' && body === 'gzipped' ? 0 : 13; // INTERNAL: does not inflate
}

function deadlineVariants(): NodeVariant[] {
  return TIMEOUTS.flatMap(([timeout, kind]) =>
    ENCODINGS.flatMap((encoding) =>
      BODIES.map(([bodyName, body, bodyKind]) => {
        const answer = bodyAnswer(encoding, bodyKind);
        // An expired deadline races the handler: DEADLINE_EXCEEDED or the handler's answer.
        const expected =
          kind === 'rejected'
            ? ['grpc 13']
            : kind === 'expired'
              ? [`grpc ${answer}`, 'grpc 4']
              : [`grpc ${answer}`];
        return {
          name: `grpc-timeout ${JSON.stringify(timeout)}, grpc-encoding ${encoding}, ${bodyName}`,
          headers: grpcRequestHeaders(SAY_HELLO, {
            ...(timeout !== undefined && { 'grpc-timeout': timeout }),
            ...(encoding !== undefined && { 'grpc-encoding': encoding }),
          }),
          body,
          expected,
        };
      }),
    ),
  );
}

// --- raw starts: what node:http2 will not send -----------------------------------------------------

const REQUEST: [string, string | Buffer][] = grpcRequestFields(SAY_HELLO);
const without = (name: string) => REQUEST.filter(([field]) => field !== name);
const replaced = (name: string, value: string | Buffer) =>
  REQUEST.map(([field, old]): [string, string | Buffer] => [field, field === name ? value : old]);

/** Malformed for HTTP/2 (RFC 7540 §8.1.2; nghttp2 also wants :authority or host): reset with PROTOCOL_ERROR. */
const MALFORMED: [string, [string, string | Buffer][]][] = [
  ['no :method', without(':method')],
  ['no :scheme', without(':scheme')],
  ['no :path', without(':path')],
  ['no :authority and no host', without(':authority')],
  ['te: gzip', replaced('te', 'gzip')],
  ['te: trailers, gzip', replaced('te', 'trailers, gzip')],
  ['an upper-case name', [...REQUEST, ['X-Upper', 'a']]],
  ['connection: keep-alive', [...REQUEST, ['connection', 'keep-alive']]],
  ['transfer-encoding: chunked', [...REQUEST, ['transfer-encoding', 'chunked']]],
  ['upgrade: h2c', [...REQUEST, ['upgrade', 'h2c']]],
  ['two :path fields', [...without(':path'), [':path', SAY_HELLO], [':path', SAY_HELLO]]],
  ['a pseudo-header after a regular one', [...without(':path'), [':path', SAY_HELLO]]],
  ['an unknown pseudo-header', [[':protocol-x', 'a'], ...REQUEST]],
  ['a space in :path', replaced(':path', '/helloworld.Greeter/Say Hello')],
];
/** Well-formed HTTP/2 that node:http2 would not send as such; answers with a body and without. */
const ODD: [string, [string, string | Buffer][], Answer, Answer][] = [
  ['host instead of :authority', [...without(':authority'), ['host', '127.0.0.1']], 'grpc 0', 'grpc 12'],
  [
    'an invalid UTF-8 octet in :path',
    replaced(':path', Buffer.from([...Buffer.from(SAY_HELLO), 0xff])),
    'grpc 12',
    'grpc 12',
  ],
];
/**
 * Starts followed, in the same write, by RST_STREAM(CANCEL): nghttp2 reads both before grpc-js
 * can answer, so nothing goes out, but for a malformed start, which nghttp2 resets itself first.
 */
const RESET: [string, [string, string | Buffer][], Answer][] = [
  ['SayHello', REQUEST, 'nothing'],
  ['content-type application/json', replaced('content-type', 'application/json'), 'nothing'],
  ['an unknown method', replaced(':path', '/helloworld.Greeter/SayGoodbye'), 'nothing'],
  ['grpc-timeout 0S', [...REQUEST, ['grpc-timeout', '0S']], 'nothing'],
  ['no :path', without(':path'), PROTOCOL_ERROR],
];

function rawVariants(): RawVariant[] {
  const ends = [false, true];
  return [
    ...MALFORMED.flatMap(([name, fields]) =>
      ends.map((endStream) => ({
        name: `${name}, END_STREAM ${endStream}`,
        fields,
        endStream,
        reset: false,
        expected: [PROTOCOL_ERROR],
      })),
    ),
    ...ODD.flatMap(([name, fields, withBody, withoutBody]) =>
      ends.map((endStream) => ({
        name: `${name}, END_STREAM ${endStream}`,
        fields,
        endStream,
        reset: false,
        expected: [endStream ? withoutBody : withBody],
      })),
    ),
    ...RESET.flatMap(([name, fields, answer]) =>
      ends.map((endStream) => ({
        name: `${name}, END_STREAM ${endStream}, then RST_STREAM`,
        fields,
        endStream,
        reset: true,
        expected: [answer],
      })),
    ),
  ];
}

jest.setTimeout(30_000);

describe('the Greeter at the start of a stream', () => {
  let service: ServiceProcess;
  let greeter: Greeter;
  let baseline: number;

  /** Runs `variants` one by one; returns those answered otherwise than expected. */
  async function mismatchesOf<V extends Variant>(
    variants: V[],
    answer: (variant: V) => Promise<Answer>,
  ): Promise<string[]> {
    const mismatches: string[] = [];
    for (const [i, variant] of variants.entries()) {
      const got = await answer(variant);
      if (!variant.expected.includes(got)) {
        mismatches.push(`${variant.name}: ${got}, expected ${variant.expected.join(' or ')}`);
      }
      if ((i + 1) % LIVENESS_EVERY === 0) {
        expect(service.child.exitCode).toBeNull();
        await expect(greeter.sayHello('alive', { timeoutMs: 5_000 })).resolves.toMatchObject({
          message: 'Hello alive',
        });
      }
    }
    return mismatches;
  }

  beforeAll(async () => {
    ({ service, greeter, baseline } = await startAttackedGreeter());
  });

  afterAll(async () => {
    greeter.close();
    await service.stop();
  });

  it.each([
    ['every :path, :method, content-type and te', pathVariants, 546],
    ['every grpc-timeout, grpc-encoding and body', deadlineVariants, 350],
  ])('answers %s as expected, on one connection', async (_what, generate, count) => {
    const variants = generate();
    expect(variants).toHaveLength(count);
    const session = connect(`http://${service.target}`);
    const goaways: number[] = [];
    session.on('goaway', (code) => goaways.push(code));
    session.on('error', () => {});
    try {
      expect(await mismatchesOf(variants, (variant) => answerOf(session, variant))).toEqual([]);
      expect(goaways).toEqual([]);
      expect(session.destroyed).toBe(false);
    } finally {
      session.close();
    }
  });

  it('answers starts node:http2 will not send: malformed ones with PROTOCOL_ERROR, reset ones with nothing', async () => {
    const variants = rawVariants();
    expect(variants).toHaveLength(42);
    const connection = await RawH2Connection.connect(service.port, {
      [constants.NGHTTP2_SETTINGS_HEADER_TABLE_SIZE]: 0, // so that grpcStatusOf can read every trailers block
    });
    try {
      expect(await mismatchesOf(variants, (variant) => rawAnswerOf(connection, variant))).toEqual([]);
      // None of it cost the connection.
      const sayHello = { name: 'SayHello', fields: REQUEST, endStream: false, reset: false, expected: [] };
      expect(await rawAnswerOf(connection, sayHello)).toBe('grpc 0');
      expect(connection.goaways).toEqual([]);
    } finally {
      connection.destroy();
    }
  });

  // A grpc-js defect: a timeout past 2^31 ms wraps to a negative int32, a deadline already past.
  it.each([
    ['1H', 0],
    ['2147483S', 0], // 2,147,483,000 ms: below 2^31
    ['2147484S', 4], // 2,147,484,000 ms: above
    ['99999999M', 4],
  ])(
    'answers a grpc-timeout of %s, message 100 ms after the headers, with grpc-status %i',
    async (timeout, code) => {
      const session = connect(`http://${service.target}`);
      session.on('error', () => {});
      try {
        const headers = grpcRequestHeaders(SAY_HELLO, { 'grpc-timeout': timeout });
        const answer = await answerOf(session, {
          name: timeout,
          headers,
          body: hello(),
          bodyDelayMs: 100,
          expected: [],
        });
        expect(answer).toBe(`grpc ${code}`);
      } finally {
        session.close();
      }
    },
  );

  it('still answers a new client after all of them, with its RSS grown less than 48 MiB', async () => {
    await expectStillServing(service, baseline, RSS_GROWTH_BOUND);
  });
});
