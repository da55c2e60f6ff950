import { connect, type Socket } from 'node:net';

// A raw HTTP/2 client for what node:http2 will not send: floods of resets or CONTINUATION
// frames, requests without pseudo-headers, pings at any rate. Written from RFC 7540 (framing)
// and RFC 7541 (HPACK). It encodes header fields one way only, and reads a response header
// block only as far as finding `:status` and `grpc-status` needs. Error and SETTINGS codes:
// node:http2's `constants` (NGHTTP2_CANCEL, NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, ...).

/** Frame types (RFC 7540 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (§6); ACK (SETTINGS, PING) shares its bit with END_STREAM (DATA, HEADERS). */
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const CANCEL = 0x8;

/** One HTTP/2 frame: 24-bit length, type, flags, reserved bit + 31-bit stream id, payload (§4.1). */
export function h2Frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `high` holds the bits above the prefix. */
export function hpackInteger(value: number, prefixBits: number, high = 0): Buffer {
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
/** The header fields a gRPC client starts a call to `path` with: 4 pseudo-headers, content-type, te. */
export function grpcRequestFields(path: string): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', '127.0.0.1'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
  ];
}

export function headerBlock(fields: ReadonlyArray<readonly [string, string | Buffer]>): Buffer {
  return Buffer.concat(
    fields.flatMap(([name, value]) => [Buffer.of(0), hpackString(name), hpackString(value)]),
  );
}

export function headersFrame(
  streamId: number,
  block: Buffer,
  { endStream = false, endHeaders = true } = {},
): Buffer {
  const flags = (endStream ? Flag.END_STREAM : 0) | (endHeaders ? Flag.END_HEADERS : 0);
  return h2Frame(FrameType.HEADERS, flags, streamId, block);
}

export function continuationFrame(streamId: number, fragment: Buffer, endHeaders = false): Buffer {
  return h2Frame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, fragment);
}

/**
 * HEADERS and as many CONTINUATION frames as `block` needs at `maxFrameSize` octets each (16,384:
 * SETTINGS_MAX_FRAME_SIZE's initial value), END_HEADERS on the last.
 */
export function headerFrames(
  streamId: number,
  block: Buffer,
  { endStream = false, maxFrameSize = 16_384 } = {},
): Buffer[] {
  const count = Math.max(1, Math.ceil(block.length / maxFrameSize));
  return Array.from({ length: count }, (_, i) => {
    const fragment = block.subarray(i * maxFrameSize, (i + 1) * maxFrameSize);
    const endHeaders = i === count - 1;
    return i === 0
      ? headersFrame(streamId, fragment, { endStream, endHeaders })
      : continuationFrame(streamId, fragment, endHeaders);
  });
}

export function dataFrame(streamId: number, data: Buffer, endStream = false): Buffer {
  return h2Frame(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, data);
}

export function rstStreamFrame(streamId: number, code = CANCEL): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return h2Frame(FrameType.RST_STREAM, 0, streamId, payload);
}

/** A PING with 8 octets of opaque data (shorter is zero-padded). */
export function pingFrame(opaque: Buffer = Buffer.alloc(8), ack = false): Buffer {
  const payload = Buffer.alloc(8);
  opaque.copy(payload, 0, 0, 8);
  return h2Frame(FrameType.PING, ack ? Flag.ACK : 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment & 0x7fffffff);
  return h2Frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

/** SETTINGS: 6 octets per entry, 16-bit identifier then 32-bit value (§6.5.1); an ACK has none. */
export function settingsFrame(settings: Record<number, number> = {}, ack = false): Buffer {
  const entries = Object.entries(settings).map(([id, value]) => {
    const entry = Buffer.alloc(6);
    entry.writeUInt16BE(Number(id));
    entry.writeUInt32BE(value, 2);
    return entry;
  });
  return h2Frame(FrameType.SETTINGS, ack ? Flag.ACK : 0, 0, Buffer.concat(entries));
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

// The static table's `:status` entries (RFC 7541 Appendix A, indices 8-14).
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

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export interface GoAway {
  errorCode: number;
  lastStreamId: number;
  /** The debug data, as text. */
  debug: string;
}

/**
 * One HTTP/2 connection over plain TCP. It sends the client preface and SETTINGS, ACKs the
 * server's SETTINGS, gives back connection-level flow-control credit for the DATA it receives,
 * and records every frame; it never answers a PING. All else is the caller's to send.
 */
export class RawH2Connection {
  /** Every frame received, in order. */
  readonly frames: ReceivedFrame[] = [];
  readonly goaways: GoAway[] = [];
  /** performance.now() when the socket closed (FIN or reset), undefined while open. */
  closedAt: number | undefined;
  private buffered = Buffer.alloc(0);
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // A reset from the server is an outcome, which the test reads from `closedAt`.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedAt = performance.now();
    });
  }

  /** Connects, sends preface and SETTINGS; resolves once the server's SETTINGS came, rejects after `timeoutMs`. */
  static async connect(
    port: number,
    settings: Record<number, number> = {},
    timeoutMs = 5_000,
  ): Promise<RawH2Connection> {
    const connection = new RawH2Connection(connect({ port, host: '127.0.0.1', noDelay: true }));
    await connection.send(PREFACE, settingsFrame(settings));
    await connection.waitFor('the server SETTINGS', (f) => f.type === FrameType.SETTINGS, timeoutMs);
    return connection;
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** The next client stream id: odd, increasing (§5.1.1). */
  newStreamId(): number {
    const id = this.nextId;
    this.nextId += 2;
    return id;
  }

  /** Writes `frames` in one go; resolves once the socket took them or failed (see `closed`). */
  send(...frames: Buffer[]): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(Buffer.concat(frames), () => resolve()));
  }

  framesOn(streamId: number): ReceivedFrame[] {
    return this.frames.filter((f) => f.streamId === streamId);
  }

  /** The first frame received that matches, now or later; rejects on close or after `timeoutMs`. */
  async waitFor(
    what: string,
    match: (f: ReceivedFrame) => boolean,
    timeoutMs = 5_000,
  ): Promise<ReceivedFrame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`the connection closed before ${what}`);
      if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Resolves once the socket is closed; rejects after `timeoutMs`. */
  async waitForClose(timeoutMs = 5_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed) {
      if (performance.now() > deadline) {
        throw new Error(`the connection was still open after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) return;
      const type = this.buffered.readUInt8(3);
      const flags = this.buffered.readUInt8(4);
      const streamId = this.buffered.readUInt32BE(5) & 0x7fffffff;
      const payload = Buffer.from(this.buffered.subarray(9, 9 + length));
      this.buffered = this.buffered.subarray(9 + length);
      this.frames.push({ type, flags, streamId, payload });
      if (type === FrameType.SETTINGS && !(flags & Flag.ACK)) void this.send(settingsFrame({}, true));
      if (type === FrameType.DATA && length > 0) void this.send(windowUpdateFrame(0, length));
      if (type === FrameType.GOAWAY) {
        const lastStreamId = payload.readUInt32BE(0) & 0x7fffffff;
        this.goaways.push({
          lastStreamId,
          errorCode: payload.readUInt32BE(4),
          debug: payload.subarray(8).toString(),
        });
      }
    }
  }
}
