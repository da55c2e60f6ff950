// NOT PRODUCT CODE. Just enough protobuf and gRPC framing for the ceiling server, h2load's
// request body and the OTLP sink's count of spans, by hand so that the ceiling pays for no
// library at all.

/** The protobuf varint encoding of a non-negative integer below 2^53. */
function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes.push((rest % 0x80) | 0x80);
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A varint field (uint32, enum); proto3 omits zero, so does this. */
export function varintField(field: number, value: number): Buffer {
  return value === 0 ? Buffer.alloc(0) : Buffer.concat([encodeVarint(field * 8), encodeVarint(value)]);
}

/** A length-delimited field (string as UTF-8, bytes); empty values are omitted. */
export function bytesField(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length === 0) return Buffer.alloc(0);
  return Buffer.concat([encodeVarint(field * 8 + 2), encodeVarint(bytes.length), bytes]);
}

/** One gRPC length-prefixed message: flag 0 (uncompressed), 4-byte big-endian length, message. */
export function grpcFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The payload of the first gRPC frame in `body`; throws on a compressed or truncated frame. */
export function firstMessage(body: Buffer): Buffer {
  if (body.length < 5 || body[0] !== 0) throw new Error('no complete uncompressed gRPC frame');
  const end = 5 + body.readUInt32BE(1);
  if (body.length < end) throw new Error('truncated gRPC frame');
  return body.subarray(5, end);
}

/** A field of a protobuf message: a varint's value, or the bytes of any other wire type. */
export interface Field {
  field: number;
  value: number | Buffer;
}

/**
 * The fields of a protobuf message, in order, without decoding what they hold. Throws on a
 * truncated message or an unsupported wire type: the ceiling answers such a request with INTERNAL.
 */
export function* fieldsOf(message: Buffer): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  while (offset < message.length) {
    const key = varint();
    const [field, wireType] = [Math.floor(key / 8), key % 8];
    if (wireType === 0) {
      yield { field, value: varint() };
      continue;
    }
    // fixed64, length-delimited, fixed32: with varint, all that OTLP uses.
    const length = wireType === 1 ? 8 : wireType === 5 ? 4 : wireType === 2 ? varint() : -1;
    if (length < 0) throw new Error(`unsupported wire type ${wireType}`);
    if (offset + length > message.length) throw new Error('truncated field');
    offset += length;
    yield { field, value: message.subarray(offset - length, offset) };
  }
}
