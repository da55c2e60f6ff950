// HTTP/2 frames as bytes, written from RFC 9113 §4-6 (RFC 7540's framing, unchanged): what a
// test sends where node:http2 would refuse to (floods of resets or CONTINUATION frames, pings at
// any rate), and how it reads what comes back. Error and SETTINGS codes: node:http2's `constants`
// (NGHTTP2_CANCEL, NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, ...).

/** Frame types (§6). */
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

/** What a client sends before its first frame (§3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const CANCEL = 0x8;
const HEADER_LENGTH = 9;

/** One frame: 24-bit length, type, flags, reserved bit + 31-bit stream id, payload (§4.1). */
function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HEADERS carrying `block` (see hpack.ts), END_HEADERS unless told otherwise. */
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

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** The whole frames at the start of `bytes`, and what is left of a frame still incomplete. */
export function readFrames(bytes: Buffer): { frames: ReceivedFrame[]; rest: Buffer } {
  const frames: ReceivedFrame[] = [];
  let rest = bytes;
  while (rest.length >= HEADER_LENGTH) {
    const length = rest.readUIntBE(0, 3);
    if (rest.length < HEADER_LENGTH + length) break;
    frames.push({
      type: rest.readUInt8(3),
      flags: rest.readUInt8(4),
      streamId: rest.readUInt32BE(5) & 0x7fffffff,
      payload: Buffer.from(rest.subarray(HEADER_LENGTH, HEADER_LENGTH + length)),
    });
    rest = rest.subarray(HEADER_LENGTH + length);
  }
  return { frames, rest };
}

export interface GoAway {
  errorCode: number;
  lastStreamId: number;
  /** The debug data, as text. */
  debug: string;
}

/** A GOAWAY frame's payload (§6.8): last stream id, error code, debug data. */
export function goAwayOf(payload: Buffer): GoAway {
  return {
    lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
    errorCode: payload.readUInt32BE(4),
    debug: payload.subarray(8).toString(),
  };
}
