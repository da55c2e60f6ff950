// NOT PRODUCT CODE. Just enough protobuf and gRPC framing for the ceiling server, for h2load's
// request body and for the bench's health probe, written by hand so that the ceiling pays for no
// library at all. Only the wire types those messages use are supported: varint (0) and
// length-delimited (2).

const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** The protobuf varint encoding of a non-negative integer below 2^53. */
export function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A varint field (uint32, uint64 below 2^53, enum); proto3 omits zero, so does this. */
export function varintField(field: number, value: number): Buffer {
  if (value === 0) return Buffer.alloc(0);
  return Buffer.concat([encodeVarint(field * 8 + VARINT), encodeVarint(value)]);
}

/** A length-delimited field (string as UTF-8, bytes, message); empty values are omitted. */
export function bytesField(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length === 0) return Buffer.alloc(0);
  return Buffer.concat([encodeVarint(field * 8 + LENGTH_DELIMITED), encodeVarint(bytes.length), bytes]);
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
  if (body.length < 5) throw new Error('no complete gRPC frame');
  if (body[0] !== 0) throw new Error('compressed frames are not supported');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) throw new Error('truncated gRPC frame');
  return decodeMessage(body.subarray(5, 5 + length));
}

/** Decodes one protobuf message (no gRPC prefix); throws on truncation or an unsupported wire type. */
export function decodeMessage(message: Buffer): DecodedFields {
  const fields: DecodedFields = { varints: new Map(), bytes: new Map() };
  let offset = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  while (offset < message.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    if (key % 8 === VARINT) {
      fields.varints.set(field, readVarint());
    } else if (key % 8 === LENGTH_DELIMITED) {
      const length = readVarint();
      if (offset + length > message.length) throw new Error('truncated field');
      fields.bytes.set(field, message.subarray(offset, offset + length));
      offset += length;
    } else {
      throw new Error(`unsupported wire type ${key % 8}`);
    }
  }
  return fields;
}
