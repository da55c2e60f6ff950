// NOT PRODUCT CODE. Just enough protobuf and gRPC framing for the ceiling server and h2load's
// request body, by hand so that the ceiling pays for no library at all. Only the wire types those
// messages use: varint (0) and length-delimited (2).

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

/** The varint and length-delimited fields of a message, by field number; the last one wins. */
export interface DecodedFields {
  varints: Map<number, number>;
  bytes: Map<number, Buffer>;
}

/**
 * Decodes the message of the first gRPC frame in `body`. Throws on a compressed frame, a
 * truncated one or an unsupported wire type: the ceiling answers such a request with INTERNAL.
 */
export function decodeFirstFrame(body: Buffer): DecodedFields {
  if (body.length < 5 || body[0] !== 0) throw new Error('no complete uncompressed gRPC frame');
  const end = 5 + body.readUInt32BE(1);
  if (body.length < end) throw new Error('truncated gRPC frame');
  const fields: DecodedFields = { varints: new Map(), bytes: new Map() };
  let offset = 5;
  const readVarint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const byte = offset < end ? body[offset++] : undefined;
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  while (offset < end) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    if (key % 8 === 0) {
      fields.varints.set(field, readVarint());
    } else if (key % 8 === 2) {
      const length = readVarint();
      if (offset + length > end) throw new Error('truncated field');
      fields.bytes.set(field, body.subarray(offset, offset + length));
      offset += length;
    } else {
      throw new Error(`unsupported wire type ${key % 8}`);
    }
  }
  return fields;
}
