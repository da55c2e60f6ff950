import { BinaryWriter, type WireType } from '@bufbuild/protobuf/wire';
import type { MessageTypeDefinition, ServiceDefinition } from '@grpc/proto-loader';
import fc from 'fast-check';
import { GreeterService, HealthService, loadPackageDefinition, StreamServiceService } from '../src';

// What a server does with a request's bytes, and a client with a response's: the generated
// (de)serializers that grpc-js calls, fed anything a peer could send. codec-cross-check.test.ts
// already shows that ts-proto and protobufjs agree on well-formed messages; this file is about
// malformed ones, and about strings no well-behaved client sends.

type Message = Record<string, unknown>;
type FieldType = 'TYPE_STRING' | 'TYPE_UINT32' | 'TYPE_UINT64' | 'TYPE_BYTES';

interface Field {
  name: string;
  number: number;
  type: FieldType;
}

interface Codec {
  label: string;
  /** The message's full name (`helloworld.HelloRequest`). */
  typeName: string;
  fields: Field[];
  serialize(message: Message): Buffer;
  deserialize(bytes: Buffer): Message;
}

const UINT32_MAX = 0xffff_ffff;
const KNOWN_TYPES: readonly string[] = ['TYPE_STRING', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_BYTES'];

/**
 * What is fuzzed: every request and response of our APIs, and the requests of gRPC's health
 * protocol, which a server decodes from anyone. (Health's responses, with an enum and a map, are
 * decoded by clients of our own servers only.)
 */
const FUZZED = [
  { service: GreeterService, sides: ['request', 'response'] },
  { service: StreamServiceService, sides: ['request', 'response'] },
  // turbo gen service: services above this line (docs/adding-a-service.md)
  { service: HealthService, sides: ['request'] },
] as const;
const UNFUZZED = ['grpc.health.v1.HealthCheckResponse', 'grpc.health.v1.HealthListResponse'];

/** Each codec FUZZED names, with its fields as the descriptor set has them. */
function allCodecs(): Codec[] {
  const loaded = loadPackageDefinition();
  return FUZZED.flatMap(({ service, sides }) =>
    Object.values(service).flatMap((method) => {
      const [, serviceName = '', rpc = ''] = method.path.split('/');
      const described = (loaded[serviceName] as ServiceDefinition)[rpc];
      if (!described) throw new Error(`${method.path} is not in the descriptor set`);
      return sides.map((side) => ({
        label: `${method.path} ${side}`,
        typeName: typeNameOf(serviceName, described[`${side}Type`]),
        fields: fieldsOf(described[`${side}Type`]),
        serialize: method[`${side}Serialize`] as (message: Message) => Buffer,
        deserialize: method[`${side}Deserialize`] as (bytes: Buffer) => Message,
      }));
    }),
  );
}

/** The full name of a method's message: its service's package, then its own name. */
function typeNameOf(serviceName: string, definition: MessageTypeDefinition<object, object>): string {
  const { name } = definition.type as { name: string };
  return `${serviceName.slice(0, serviceName.lastIndexOf('.'))}.${name}`;
}

function fieldsOf(definition: MessageTypeDefinition<object, object>): Field[] {
  const { field } = definition.type as { field: { name: string; number: number; type: string }[] };
  return field.map(({ name, number, type }) => {
    // A field of another type needs a generator below before this file can claim to cover it.
    if (!KNOWN_TYPES.includes(type)) throw new Error(`no generator for ${name}: ${type}`);
    return {
      name: name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      number,
      type: type as FieldType,
    };
  });
}

// Wire bytes as the protobuf runtime writes them (@repo/test-kit has a writer of its own, but it
// depends on @repo/proto, through @repo/runner, so these tests cannot use it).
const varint = (value: bigint) => [...new BinaryWriter().uint64(value).finish()];
/** A tag with any wire type, the invalid 6 and 7 included. */
const tag = (number: number, wireType: number) => [
  ...new BinaryWriter().tag(number, wireType as WireType).finish(),
];
/**
 * A varint no decoder may take: 10 bytes worth more than 64 bits, or 11 to 16 bytes (a 64-bit
 * varint has at most 10).
 */
const overlongVarint = fc
  .tuple(fc.uint8Array({ minLength: 9, maxLength: 15 }), fc.integer({ min: 2, max: 0x7f }))
  .map(([bytes, last]) => [...[...bytes].map((byte) => byte | 0x80), last]);

/** Names that matter to JavaScript objects, and nothing to protobuf. */
const DANGEROUS = [
  '__proto__',
  'constructor',
  'prototype',
  'polluted',
  'toString',
  '{"__proto__":{"polluted":1}}',
];

/** Any code point, lone surrogates and control characters included. */
const anyText = fc.oneof(
  fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
        fc.integer({ min: 0, max: 0x1f }).map((unit) => String.fromCharCode(unit)),
      ),
      { maxLength: 80 },
    )
    .map((parts) => parts.join('')),
  fc.constantFrom(...DANGEROUS),
);

const VALUES: Record<FieldType, fc.Arbitrary<unknown>> = {
  TYPE_STRING: anyText,
  TYPE_UINT32: fc.oneof(fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 31, UINT32_MAX), fc.nat({ max: UINT32_MAX })),
  TYPE_UINT64: fc.oneof(
    fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER),
    fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  ),
  TYPE_BYTES: fc.uint8Array({ maxLength: 128 }).map((bytes) => Buffer.from(bytes)),
};

function messageOf(fields: Field[]): fc.Arbitrary<Message> {
  return fc.record(Object.fromEntries(fields.map(({ name, type }) => [name, VALUES[type]])));
}

/** One field as a peer could write it: any number, any wire type, a payload that may not fit either. */
function wireField(known: number[]): fc.Arbitrary<number[]> {
  const payload = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(varint),
    overlongVarint,
    fc
      .tuple(fc.nat({ max: 300 }), fc.uint8Array({ maxLength: 64 }))
      .map(([length, bytes]) => [...varint(BigInt(length)), ...bytes]),
    fc.constantFrom(...DANGEROUS).map((text) => {
      const bytes = [...Buffer.from(text)];
      return [...varint(BigInt(bytes.length)), ...bytes];
    }),
    fc.uint8Array({ maxLength: 9 }).map((bytes) => [...bytes]),
  );
  const anyNumber = fc.nat({ max: 2 ** 29 - 1 });
  // A message without fields (HealthListRequest) has no number of its own to favour.
  const number = known.length > 0 ? fc.oneof(fc.constantFrom(...known), anyNumber) : anyNumber;
  return fc
    .tuple(number, fc.nat({ max: 7 }), payload)
    .map(([field, wireType, bytes]) => [...tag(field, wireType), ...bytes]);
}

/** Random bytes, fields that may be malformed, and valid messages broken in one place. */
function anyBytes(codec: Codec): fc.Arbitrary<Buffer> {
  const known = codec.fields.map(({ number }) => number);
  const broken = fc
    .tuple(messageOf(codec.fields), fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('cut', 'flip', 'insert'))
    .map(([message, at, byte, how]) => {
      const bytes = [...codec.serialize(message)];
      const index = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === 'cut') bytes.length = index;
      else if (how === 'flip' && bytes.length > 0) bytes[index] = byte;
      else bytes.splice(index, 0, byte);
      return bytes;
    });
  return fc
    .oneof(
      fc.uint8Array({ maxLength: 128 }).map((bytes) => [...bytes]),
      fc.array(wireField(known), { maxLength: 8 }).map((fields) => fields.flat()),
      broken,
    )
    .map((bytes) => Buffer.from(bytes));
}

/** What an encoder makes of a string: every lone surrogate becomes U+FFFD. */
function wellFormed(message: Message): Message {
  return Object.fromEntries(
    Object.entries(message).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.replace(/\p{Cs}/gu, '\uFFFD') : value,
    ]),
  );
}

function expectValidValue(value: unknown, type: FieldType): void {
  switch (type) {
    case 'TYPE_STRING':
      // A decoder replaces invalid UTF-8 with U+FFFD: it never makes a lone surrogate.
      expect(typeof value === 'string' && !/\p{Cs}/u.test(value)).toBe(true);
      return;
    case 'TYPE_UINT32':
      expect(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= UINT32_MAX).toBe(true);
      return;
    case 'TYPE_UINT64':
      expect(Number.isSafeInteger(value) && (value as number) >= 0).toBe(true);
      return;
    case 'TYPE_BYTES':
      expect(value).toBeInstanceOf(Uint8Array);
      return;
  }
}

const prototypeKeys = () => Reflect.ownKeys(Object.prototype).map(String).sort();
const PROTOTYPE_KEYS = prototypeKeys();

function expectPrototypeUntouched(): void {
  expect(prototypeKeys()).toEqual(PROTOTYPE_KEYS);
  expect(({} as Message).polluted).toBeUndefined();
}

const codecs = allCodecs();

describe('the generated decoders, fed anything', () => {
  it('cover every message in protos/ but the health responses', () => {
    const described = Object.entries(loadPackageDefinition())
      .filter(([, value]) => 'format' in value)
      .map(([name]) => name);
    const fuzzed = new Set(codecs.map(({ typeName }) => typeName));
    // A map's entries are a message of their own, covered with the map's.
    const expected = described.filter(
      (name) => !UNFUZZED.some((unfuzzed) => name === unfuzzed || name.startsWith(`${unfuzzed}.`)),
    );
    expect([...fuzzed].sort()).toEqual(expected.sort());
  });

  describe.each(codecs.map((codec) => [codec.label, codec] as const))('%s', (_label, codec) => {
    const names = codec.fields.map(({ name }) => name).sort();

    it('returns a message with exactly its own fields, or throws an Error', () => {
      fc.assert(
        fc.property(anyBytes(codec), (bytes) => {
          let message: Message;
          try {
            message = codec.deserialize(bytes);
          } catch (err: unknown) {
            expect(err).toBeInstanceOf(Error);
            expectPrototypeUntouched();
            return;
          }
          expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
          expect(Object.keys(message).sort()).toEqual(names);
          for (const { name, type } of codec.fields) expectValidValue(message[name], type);
          // Whatever it accepted, it encodes and decodes again to the same message.
          expect(codec.deserialize(codec.serialize(message))).toEqual(message);
          expectPrototypeUntouched();
        }),
        { numRuns: 600 },
      );
    });

    it('round-trips any message, lone surrogates becoming U+FFFD', () => {
      fc.assert(
        fc.property(messageOf(codec.fields), (message) => {
          expect(codec.deserialize(codec.serialize(message))).toEqual(wellFormed(message));
        }),
        { numRuns: 150 },
      );
    });

    it('skips well-formed fields it does not know, wherever they are', () => {
      const unknownNumber = fc
        .integer({ min: 1, max: 2 ** 29 - 2 }) // room for the field inside a group, below
        .filter((number) => !codec.fields.some((field) => field.number === number));
      const unknownField = fc
        .tuple(unknownNumber, fc.uint8Array({ maxLength: 16 }), fc.nat({ max: 2 ** 32 }))
        .chain(([number, bytes, integer]) =>
          fc.constantFrom(
            [...tag(number, 0), ...varint(BigInt(integer))],
            [...tag(number, 2), ...varint(BigInt(bytes.length)), ...bytes],
            [...tag(number, 5), 1, 2, 3, 4],
            [...tag(number, 1), 1, 2, 3, 4, 5, 6, 7, 8],
            [...tag(number, 3), ...tag(number + 1, 0), 7, ...tag(number, 4)],
          ),
        );
      fc.assert(
        fc.property(messageOf(codec.fields), unknownField, unknownField, (message, before, after) => {
          const bytes = Buffer.from([...before, ...codec.serialize(message), ...after]);
          expect(codec.deserialize(bytes)).toEqual(wellFormed(message));
        }),
        { numRuns: 150 },
      );
    });

    it('merges two messages sent as one, the later value of each set field winning', () => {
      fc.assert(
        fc.property(messageOf(codec.fields), messageOf(codec.fields), (first, second) => {
          const bytes = Buffer.concat([codec.serialize(first), codec.serialize(second)]);
          const empty = codec.deserialize(Buffer.alloc(0));
          const merged = Object.fromEntries(
            codec.fields.map(({ name }) => {
              const set = (message: Message) =>
                codec.serialize({ ...empty, [name]: message[name] }).length > 0;
              return [name, set(second) ? second[name] : first[name]];
            }),
          );
          expect(codec.deserialize(bytes)).toEqual(wellFormed(merged));
        }),
        { numRuns: 100 },
      );
    });
  });

  it('answers 100,000 nested groups, a 4 GiB length and a 1 MB varint at once', () => {
    const groups = Buffer.concat([Buffer.alloc(100_000, 0x13), Buffer.alloc(100_000, 0x14)]);
    const hugeLength = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x41]);
    const hugeVarint = Buffer.concat([
      Buffer.from([0x10]),
      Buffer.alloc(1_000_000, 0xff),
      Buffer.from([0x01]),
    ]);
    for (const codec of codecs) {
      const started = performance.now();
      expect(() => codec.deserialize(groups)).toThrow('maximum recursion depth reached');
      expect(() => codec.deserialize(hugeLength)).toThrow('premature EOF');
      // Field 2 is skipped, whatever its length, where it is unknown (or not a varint); read, it is refused.
      try {
        codec.deserialize(hugeVarint);
      } catch (err: unknown) {
        expect(err).toEqual(new Error('invalid varint'));
      }
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expectPrototypeUntouched();
  });
});
