import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import fc from 'fast-check';
import {
  AllStreamRequest,
  AllStreamResponse,
  GetStreamRequest,
  GetStreamResponse,
  GreeterService,
  HelloReply,
  HelloRequest,
  loadPackageDefinition,
  PutStreamRequest,
  PutStreamResponse,
  StreamServiceService,
} from '../src';

// proto-loader (protobufjs) in the shapes ts-proto uses: numbers for 64-bit integers, Buffers
// for bytes, every field present. Field names stay as in the .proto files (a descriptor set
// keeps them; keepCase has no effect on it), so they are renamed from and to camelCase below.
const protobufjs: PackageDefinition = loadPackageDefinition({ longs: Number, bytes: Buffer, defaults: true });

type Message = Record<string, unknown>;

const renameKeys = (message: Message, rename: (key: string) => string): Message =>
  Object.fromEntries(Object.entries(message).map(([key, value]) => [rename(key), value]));
const toSnake = (message: Message) =>
  renameKeys(message, (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
const toCamel = (message: Message) =>
  renameKeys(message, (key) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));

interface Codec<T> {
  encode(message: T): Buffer;
  decode(bytes: Buffer): T;
}

const ours = [GreeterService, StreamServiceService].flatMap((service) => Object.values(service));

/**
 * The codec of one message type in the service definitions this package exports (ts-proto's
 * types, encoded through the shared writer), and protobufjs's, as grpc-js uses them.
 */
function codecs(method: string, side: 'request' | 'response'): [Codec<Message>, Codec<Message>] {
  const [service, name] = method.split('/');
  const loaded = (protobufjs[service ?? ''] as ServiceDefinition | undefined)?.[name ?? ''];
  const definition = ours.find(({ path }) => path === `/${method}`);
  if (!loaded || !definition) throw new Error(`${method} is not in the descriptor set and the exports`);
  return [
    {
      encode: (message) => definition[`${side}Serialize`](message as never),
      decode: (bytes) => definition[`${side}Deserialize`](bytes) as Message,
    },
    {
      encode: (message) => loaded[`${side}Serialize`](toSnake(message)),
      decode: (bytes) => toCamel(loaded[`${side}Deserialize`](bytes) as Message),
    },
  ];
}

const text = fc.string({ unit: 'grapheme', maxLength: 64 });
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const uint64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 256 }).map((array) => Buffer.from(array));

const cases = [
  {
    method: 'helloworld.Greeter/SayHello',
    side: 'request',
    type: HelloRequest,
    arbitrary: fc.record({ name: text }),
  },
  {
    method: 'helloworld.Greeter/SayHello',
    side: 'response',
    type: HelloReply,
    arbitrary: fc.record({ message: text }),
  },
  {
    method: 'stream.v1.StreamService/GetStream',
    side: 'request',
    type: GetStreamRequest,
    arbitrary: fc.record({ text, count: uint32, intervalMs: uint32, payloadBytes: uint32 }),
  },
  {
    method: 'stream.v1.StreamService/GetStream',
    side: 'response',
    type: GetStreamResponse,
    arbitrary: fc.record({ index: uint32, text, payload: bytes }),
  },
  {
    method: 'stream.v1.StreamService/PutStream',
    side: 'request',
    type: PutStreamRequest,
    arbitrary: fc.record({ text }),
  },
  {
    method: 'stream.v1.StreamService/PutStream',
    side: 'response',
    type: PutStreamResponse,
    arbitrary: fc.record({ count: uint32, bytes: uint64, preview: text }),
  },
  {
    method: 'stream.v1.StreamService/AllStream',
    side: 'request',
    type: AllStreamRequest,
    arbitrary: fc.record({ name: text }),
  },
  {
    method: 'stream.v1.StreamService/AllStream',
    side: 'response',
    type: AllStreamResponse,
    arbitrary: fc.record({ message: text, servedBy: text }),
  },
] as const;

describe('ts-proto and protobufjs agree on the wire format', () => {
  it('covers every method of every service in protos/', () => {
    const methods = ours.map(({ path }) => path.slice(1));
    expect(new Set(cases.map(({ method }) => method))).toEqual(new Set(methods));
  });

  describe.each(cases)('$method $side', ({ method, side, type, arbitrary }) => {
    const [tsProto, protobufJs] = codecs(method, side);

    it("encodes what ts-proto's own encode does, byte for byte", () => {
      const generated = type as unknown as { encode(message: Message): { finish(): Uint8Array } };
      fc.assert(
        fc.property(arbitrary, (message) => {
          expect(tsProto.encode(message)).toEqual(Buffer.from(generated.encode(message).finish()));
        }),
        { numRuns: 200 },
      );
    });

    it('decodes with protobufjs what ts-proto encoded, and back', () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const viaProtobufJs = protobufJs.decode(tsProto.encode(message));
          expect(viaProtobufJs).toEqual(message);
          expect(tsProto.decode(protobufJs.encode(viaProtobufJs))).toEqual(message);
        }),
        { numRuns: 500 },
      );
    });

    it('decodes with ts-proto what protobufjs encoded, and back', () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const viaTsProto = tsProto.decode(protobufJs.encode(message));
          expect(viaTsProto).toEqual(message);
          expect(protobufJs.decode(tsProto.encode(viaTsProto))).toEqual(message);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('the shared writer', () => {
  it('drops what an encode that failed half-way wrote, so the next message is whole', () => {
    const serialize = StreamServiceService.getStream.requestSerialize;
    // The text is written before the count is found invalid.
    expect(() => serialize({ text: 'left over', count: -1, intervalMs: 0, payloadBytes: 0 })).toThrow();

    const next = serialize({ text: 'next', count: 2, intervalMs: 0, payloadBytes: 0 });
    expect(GetStreamRequest.decode(next)).toEqual({ text: 'next', count: 2, intervalMs: 0, payloadBytes: 0 });
  });

  it('gives every message a buffer of its own', () => {
    const serialize = GreeterService.sayHello.responseSerialize;
    const first = serialize({ message: 'first' });
    serialize({ message: 'second, and longer' });

    expect(HelloReply.decode(first)).toEqual({ message: 'first' });
  });
});
