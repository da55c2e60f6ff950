import type { ServerHttp2Session } from 'node:http2';

/**
 * The server's HTTP/2 sessions, by their client's address as grpc-js's `call.getPeer()` names it
 * (`address:port`). GrpcServer.listen registers every session it accepts.
 */
const sessionsByPeer = new Map<string, Set<ServerHttp2Session>>();

interface PingQueue {
  /** A PING of ours is on its way: who waits now needs the next one, sent after it. */
  inFlight: boolean;
  waiting: (() => void)[];
}

const queues = new WeakMap<ServerHttp2Session, PingQueue>();

/** `address:port` (or `address` alone), the way grpc-js's getPeer() writes it; undefined without an address. */
function peerOf(session: ServerHttp2Session): string | undefined {
  const { remoteAddress, remotePort } = session.socket ?? {};
  if (!remoteAddress) return undefined;
  return remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
}

/** Makes the session's client reachable by roundTrip, until the session closes. */
export function trackSession(session: ServerHttp2Session): void {
  const peer = peerOf(session);
  if (peer === undefined) return;
  let sessions = sessionsByPeer.get(peer);
  if (!sessions) {
    sessions = new Set();
    sessionsByPeer.set(peer, sessions);
  }
  sessions.add(session);
  session.once('close', () => {
    sessions.delete(session);
    if (sessions.size === 0 && sessionsByPeer.get(peer) === sessions) sessionsByPeer.delete(peer);
    // A PING the closed session can no longer answer must not hold anyone.
    const queue = queues.get(session);
    if (queue) release(queue.waiting.splice(0));
  });
}

function release(waiting: (() => void)[]): void {
  for (const resolve of waiting) resolve();
}

/** Sends one PING for everyone waiting on the session; whoever comes meanwhile waits for the next. */
function sendPing(session: ServerHttp2Session, queue: PingQueue): void {
  const waiting = queue.waiting.splice(0);
  queue.inFlight = true;
  const answered = () => {
    queue.inFlight = false;
    release(waiting);
    if (queue.waiting.length > 0 && !session.closed && !session.destroyed) sendPing(session, queue);
    else release(queue.waiting.splice(0));
  };
  try {
    // Acknowledged, or cancelled because the session is closing: either way, nothing more to wait for.
    session.ping(() => answered());
  } catch {
    answered(); // destroyed meanwhile
  }
}

function pingOnce(session: ServerHttp2Session): Promise<void> {
  if (session.closed || session.destroyed) return Promise.resolve();
  let queue = queues.get(session);
  if (!queue) {
    queue = { inFlight: false, waiting: [] };
    queues.set(session, queue);
  }
  const ready = new Promise<void>((resolve) => queue.waiting.push(resolve));
  if (!queue.inFlight) sendPing(session, queue);
  return ready;
}

/**
 * Resolves once the client at `peer` has answered a PING sent after this call, on each of its
 * connections to this server: HTTP/2 frames are read in order, so by then this server has read
 * everything the client sent before it saw the PING. Undefined when no connection of that
 * client is known (a server not made by createServer); at once for a connection already closing
 * (GOAWAY sent), which can send no PING. At most one PING per connection is in flight: calls
 * that wait together share it.
 */
export function roundTrip(peer: string): Promise<void> | undefined {
  const sessions = sessionsByPeer.get(peer);
  if (!sessions || sessions.size === 0) return undefined;
  return Promise.all([...sessions].map(pingOnce)).then(() => {});
}
