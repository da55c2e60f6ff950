import http from 'node:http';
import http2, { type Http2Session } from 'node:http2';
import net, { type Socket } from 'node:net';
import type { ConnectNodeAdapterOptions } from '@connectrpc/connect-node';
import type { ServerTls } from '@repo/server-kit';

/** A request handler for HTTP/1.1 and HTTP/2 alike, as connect-node's adapter is. */
export type Handler = NonNullable<ConnectNodeAdapterOptions['fallback']>;
export type HttpRequest = Parameters<Handler>[0];
export type HttpResponse = Parameters<Handler>[1];

/** What both Node response classes share for a whole response at once. */
interface WholeResponse {
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string | Buffer): unknown;
}

/** Sends a whole response: status, headers and body (none for HEAD). */
export function reply(
  res: HttpResponse,
  httpStatus: number,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): void {
  const whole = res as unknown as WholeResponse;
  whole.statusCode = httpStatus;
  for (const [name, value] of Object.entries(headers)) whole.setHeader(name, value);
  whole.end(body);
}

export interface ListenerLimits {
  /** HTTP/2 streams open at once on one connection (MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
}

/** The first line of HTTP/2's connection preface (RFC 9113, 3.4): a client speaking h2c with prior knowledge. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');
/** A connection that has not sent its first bytes (or a request's headers) by then is closed. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * One port that speaks HTTP/1.1 and HTTP/2 to the same handler. With TLS, ALPN chooses (Node's
 * `allowHTTP1`). In plaintext, Node's HTTP/2 server does not take HTTP/1.1 (its allowHTTP1 is
 * for TLS only), so the first bytes of each connection choose: HTTP/2's preface (gRPC clients,
 * `curl --http2-prior-knowledge`) goes to an HTTP/2 server, anything else (browsers, plain curl)
 * to an HTTP/1.1 one. Upgrade from HTTP/1.1 to h2c is not offered, as in Connect's own servers.
 */
export class Listener {
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();
  private readonly server: net.Server;
  private readonly http1: http.Server | undefined;

  constructor(handler: Handler, limits: ListenerLimits, tls?: ServerTls) {
    const settings = { maxConcurrentStreams: limits.maxConcurrentStreams };
    if (tls) {
      const secure = http2.createSecureServer(
        {
          allowHTTP1: true,
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          settings,
          maxSessionMemory: 10,
        },
        handler,
      );
      secure.on('session', (session) => this.track(session));
      secure.on('secureConnection', (socket) => this.trackSocket(socket));
      this.server = secure;
      return;
    }
    const h2 = http2.createServer({ settings, maxSessionMemory: 10 }, handler);
    h2.on('session', (session) => this.track(session));
    const h1 = http.createServer(
      { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: FIRST_BYTES_TIMEOUT_MS },
      handler,
    );
    this.http1 = h1;
    this.server = net.createServer((socket) => {
      this.trackSocket(socket);
      socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
      let seen: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const n = Math.min(seen.length, PREFACE.length);
        const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
        if (isH2 && seen.length < PREFACE.length) return;
        socket.off('data', onData);
        socket.pause();
        socket.unshift(seen);
        socket.setTimeout(0);
        if (isH2) {
          h2.emit('connection', socket);
        } else {
          h1.emit('connection', socket);
          socket.resume();
        }
      };
      socket.on('data', onData);
    });
  }

  /** Binds and resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host.replace(/^\[(.*)\]$/, '$1'), () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops accepting connections, asks HTTP/2 clients to go away (GOAWAY: their open streams
   * finish) and closes idle HTTP/1.1 connections; busy ones close after their response.
   */
  close(): void {
    this.server.close();
    for (const session of this.sessions) session.close();
    this.http1?.closeIdleConnections();
    this.http1?.close();
  }

  /** Destroys every connection, and the calls still open on them. */
  destroy(): void {
    this.server.close();
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
  }

  private track(session: Http2Session): void {
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
  }

  private trackSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.sockets.delete(socket));
  }
}
