import { connect, type Socket } from 'node:net';
import {
  CLIENT_PREFACE,
  Flag,
  FrameType,
  type GoAway,
  goAwayOf,
  type ReceivedFrame,
  readFrames,
  settingsFrame,
  windowUpdateFrame,
} from './h2-frames';

/**
 * One HTTP/2 connection over plain TCP, for what node:http2 will not send (see h2-frames.ts and
 * hpack.ts for the frames). It sends the client preface and SETTINGS, ACKs the server's SETTINGS,
 * gives back connection-level flow-control credit for the DATA it receives, and records every
 * frame; it never answers a PING. All else is the caller's to send.
 */
export class RawH2Connection {
  /** Every frame received, in order. */
  readonly frames: ReceivedFrame[] = [];
  readonly goaways: GoAway[] = [];
  /** performance.now() when the socket closed (FIN or reset), undefined while open. */
  closedAt: number | undefined;
  private buffered: Buffer = Buffer.alloc(0);
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
    await connection.send(CLIENT_PREFACE, settingsFrame(settings));
    await connection.waitFor('the server SETTINGS', (f) => f.type === FrameType.SETTINGS, timeoutMs);
    return connection;
  }

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** The next client stream id: odd, increasing (RFC 9113 §5.1.1). */
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

  /** The HEADERS frame that ends stream `streamId` (its trailers, or a trailers-only answer), now or later. */
  waitForEnd(streamId: number, timeoutMs = 5_000): Promise<ReceivedFrame> {
    return this.waitFor(
      `the end of stream ${streamId}`,
      (f) => f.streamId === streamId && f.type === FrameType.HEADERS && (f.flags & Flag.END_STREAM) !== 0,
      timeoutMs,
    );
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
    const { frames, rest } = readFrames(Buffer.concat([this.buffered, chunk]));
    this.buffered = rest;
    for (const frame of frames) {
      this.frames.push(frame);
      const { type, flags, payload } = frame;
      if (type === FrameType.SETTINGS && !(flags & Flag.ACK)) void this.send(settingsFrame({}, true));
      if (type === FrameType.DATA && payload.length > 0) void this.send(windowUpdateFrame(0, payload.length));
      if (type === FrameType.GOAWAY) this.goaways.push(goAwayOf(payload));
    }
  }
}
