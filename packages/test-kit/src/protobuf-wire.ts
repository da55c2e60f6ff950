// The protobuf wire format (protobuf.dev/programming-guides/encoding), written by hand: what a
// fuzzer sends where a generated encoder would only write valid messages (unknown fields, names
// that are not UTF-8, lengths past the end). Bytes are number arrays, to be spread together.

/** Wire types (the low 3 bits of a tag). */
const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** A base-128 varint, least significant group first; any size (a bigint), never negative. */
function varint(value: number | bigint): number[] {
  let rest = BigInt(value);
  if (rest < 0n) throw new RangeError(`a varint here is never negative, got ${value}`);
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return bytes;
}

/** A field's tag: its number and wire type, as a varint. */
function tag(field: number, wireType: number): number[] {
  return varint((BigInt(field) << 3n) | BigInt(wireType));
}

/** A VARINT field. */
export function varintField(field: number, value: number | bigint): number[] {
  return [...tag(field, WireType.VARINT), ...varint(value)];
}

/** A LEN field (string, bytes, message): its length, then `bytes` (a string as UTF-8). */
export function lengthDelimitedField(field: number, bytes: ArrayLike<number> | string): number[] {
  const octets = typeof bytes === 'string' ? [...Buffer.from(bytes, 'utf8')] : Array.from(bytes);
  return [...tag(field, WireType.LEN), ...varint(octets.length), ...octets];
}
