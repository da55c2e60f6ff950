import { constants, type Http2SecureServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import type { Logger } from './logger';

export interface PingPolicy {
  /** The shortest interval a client may ping at while it has no call open on the connection. */
  minPingIntervalMs: number;
  /** Quicker pings tolerated before the connection is closed; 0: any number (as in gRPC's core). */
  maxPingStrikes: number;
}

/** The GOAWAY debug data gRPC clients look for: they then ping less often (gRFC A8). */
export const TOO_MANY_PINGS = 'too_many_pings';

/**
 * gRPC's keepalive enforcement (gRFC A8), which grpc-js's server does not do: a ping that comes
 * sooner than `minPingIntervalMs` after the previous one, on a connection with no call open, is
 * a strike; after `maxPingStrikes` strikes the connection gets GOAWAY ENHANCE_YOUR_CALM
 * "too_many_pings" and is closed. A call opening clears the strikes, and while calls are open
 * pings are free (C-core clears them whenever it sends data; calls in flight stand for that here).
 */
export function enforcePingPolicy(session: ServerHttp2Session, policy: PingPolicy, logger: Logger): void {
  if (policy.maxPingStrikes === 0) return;
  let openStreams = 0;
  let lastStreamId = 0;
  let strikes = 0;
  let lastPing = Number.NEGATIVE_INFINITY;
  session.on('stream', (stream) => {
    openStreams++;
    lastStreamId = Math.max(lastStreamId, stream.id ?? 0);
    strikes = 0;
    stream.once('close', () => openStreams--);
  });
  session.on('ping', () => {
    if (session.closed) return;
    const now = performance.now();
    const tooSoon = openStreams === 0 && now - lastPing < policy.minPingIntervalMs;
    lastPing = now;
    if (!tooSoon || ++strikes <= policy.maxPingStrikes) return;
    logger.warn(
      { remoteAddress: session.socket?.remoteAddress, strikes },
      'client pings too often, closing its connection',
    );
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, lastStreamId, Buffer.from(TOO_MANY_PINGS));
    session.close();
  });
}

/**
 * The node:http2 servers a grpc-js Server listens with. grpc-js keeps them in a private field
 * and has no public hook for sessions; a version that changes this fails here, at start-up.
 */
export function http2ServersOf(server: Server): (Http2Server | Http2SecureServer)[] {
  const servers = (server as unknown as { http2Servers?: Map<Http2Server | Http2SecureServer, unknown> })
    .http2Servers;
  if (!(servers instanceof Map)) {
    throw new Error('this @grpc/grpc-js has no Server.http2Servers: the ping policy cannot be enforced');
  }
  return [...servers.keys()];
}
