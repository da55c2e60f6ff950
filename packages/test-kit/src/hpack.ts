// HPACK (RFC 7541), as much as a test needs: it writes header fields one way only, and reads a
// response header block only as far as finding `:status` and `grpc-status` needs.

/** An HPACK integer with an N-bit prefix (§5.1); `high` holds the bits above the prefix. */
function hpackInteger(value: number, prefixBits: number, high = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const bytes = [high | max];
  let rest = value - max;
  for (; rest >= 128; rest = Math.floor(rest / 128)) bytes.push((rest % 128) + 128);
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A plain (not Huffman-coded) string literal: H=0, 7-bit prefix length, the octets (§5.2). */
function hpackString(text: string | Buffer): Buffer {
  const octets = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([hpackInteger(octets.length, 7), octets]);
}

/**
 * A header block of "literal header field without indexing, new name" fields (§6.2.2), in the
 * order given and as given (HTTP/2 wants lower-case names; a test may not). Nothing enters either
 * side's dynamic table, so one block can be sent any number of times.
 */
export function headerBlock(fields: ReadonlyArray<readonly [string, string | Buffer]>): Buffer {
  return Buffer.concat(
    fields.flatMap(([name, value]) => [Buffer.of(0), hpackString(name), hpackString(value)]),
  );
}

/** The HPACK integer at `at` with an N-bit prefix (§5.1), and the offset after it. */
function readInteger(block: Buffer, at: number, prefixBits: number): [value: number, next: number] {
  const max = (1 << prefixBits) - 1;
  let value = (block[at] ?? 0) & max;
  let next = at + 1;
  for (let shift = 0, more = value === max; more; shift += 7) {
    const byte = block[next++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    more = (byte & 0x80) !== 0;
  }
  return [value, next];
}

interface Literal {
  huffman: boolean;
  octets: Buffer;
}

/** A field's table index (0: a new name follows) and its name and value literals, undecoded (§6). */
interface Field {
  index: number;
  indexed: boolean;
  name?: Literal;
  value?: Literal;
}

/** The fields of a header block; dynamic table size updates are skipped. */
function fieldsOf(block: Buffer): Field[] {
  const literal = (at: number): [Literal, number] => {
    const [length, start] = readInteger(block, at, 7);
    const huffman = ((block[at] ?? 0) & 0x80) !== 0;
    return [{ huffman, octets: block.subarray(start, start + length) }, start + length];
  };
  const fields: Field[] = [];
  for (let at = 0; at < block.length; ) {
    const first = block[at] ?? 0;
    if ((first & 0xe0) === 0x20) {
      at = readInteger(block, at, 5)[1];
      continue;
    }
    const indexed = (first & 0x80) !== 0;
    const [index, next] = readInteger(block, at, indexed ? 7 : first & 0x40 ? 6 : 4);
    const field: Field = { index, indexed };
    at = next;
    if (!indexed && index === 0) [field.name, at] = literal(at);
    if (!indexed) [field.value, at] = literal(at);
    fields.push(field);
  }
  return fields;
}

// The static table's `:status` entries (Appendix A, indices 8-14).
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };
// 'grpc-status' Huffman-coded (Appendix B): 60 bits padded to 8 octets, shorter than plain, so encoders use it.
const GRPC_STATUS_HUFFMAN = Buffer.from('9acac8b21234da8f', 'hex');

/** The `:status` of a response header block; undefined in trailers or when Huffman-coded. */
export function statusOf(block: Buffer): number | undefined {
  for (const { index, indexed, value } of fieldsOf(block)) {
    if (indexed && STATIC_STATUS[index] !== undefined) return STATIC_STATUS[index];
    if (!indexed && index === 8 && value && !value.huffman) return Number(value.octets.toString('latin1'));
  }
  return undefined;
}

/**
 * The `grpc-status` of a header block, when written as a literal with a new name and a plain
 * value: what an encoder that may not index writes for it (so connect with
 * SETTINGS_HEADER_TABLE_SIZE 0), Huffman being no shorter for one or two digits. Else undefined.
 */
export function grpcStatusOf(block: Buffer): number | undefined {
  for (const { index, name, value } of fieldsOf(block)) {
    if (index !== 0 || !name || !value || value.huffman) continue;
    const huffmanName = name.huffman && name.octets.equals(GRPC_STATUS_HUFFMAN);
    if (huffmanName || name.octets.toString('latin1') === 'grpc-status') {
      return Number(value.octets.toString('latin1'));
    }
  }
  return undefined;
}
