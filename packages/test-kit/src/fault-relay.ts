import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What a FaultRelay does to the bytes between its clients and its target. */
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'latency'; ms: number }
  | { kind: 'blackhole' }
  | { kind: 'reset' };

/** One direction of a connection, as a blackhole's end sets it going again. */
interface Link {
  /** Reads again, unless the receiving side still has to drain. */
  resume(): void;
  /** Delivers what is held and due. */
  flush(): void;
}

/** One accepted connection and the one it opened to the target. */
interface Pair {
  client: Socket;
  upstream: Socket;
  /** Its two directions, client to upstream and back. */
  links: Link[];
}

/**
 * A TCP relay on 127.0.0.1 in front of `target` that injects network faults, switchable at any
 * time, into every connection through it:
 *
 * - `pass()`: bytes go through untouched.
 * - `latency(ms)`: every chunk, each way, is delivered `ms` milliseconds after it arrived (in
 *   order): a round trip costs 2 × `ms` more.
 * - `blackhole()`: connections stay open (new ones are accepted) but nothing is forwarded, as
 *   in a network partition. Reading stops, so senders are held back by TCP flow control, and
 *   what was held is delivered once the mode changes, as TCP does when a partition heals.
 * - `reset()`: every open connection, and every new one while in this mode, is destroyed with
 *   a TCP RST on both sides: the peers see ECONNRESET, not an orderly close.
 *
 * It speaks TCP only, so it works for any protocol, TLS included. It counts the bytes each way
 * (`bytesToTarget`, `bytesFromTarget`): what a call costs on the wire, HTTP/2 framing included.
 */
export class FaultRelay {
  /** Bytes the relay received from its clients (and forwards to the target), over every connection. */
  bytesToTarget = 0;
  /** Bytes the relay received from the target (and forwards to its clients). */
  bytesFromTarget = 0;
  private accepted = 0;
  private current: FaultMode = { kind: 'pass' };
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    /** The relay's own port. */
    readonly port: number,
  ) {}

  /** Starts a relay to `target` (`host:port`) on 127.0.0.1 and an ephemeral port, in `pass` mode. */
  static async start(target: string): Promise<FaultRelay> {
    const match = /^(.+):(\d+)$/.exec(target);
    if (!match?.[1] || !match[2]) throw new Error(`target must be host:port, got "${target}"`);
    const [host, port] = [match[1].replace(/^\[(.*)\]$/, '$1'), Number(match[2])];
    let relay: FaultRelay | undefined;
    const server = createServer({ allowHalfOpen: true }, (client) => relay?.accept(client, host, port));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    relay = new FaultRelay(server, (server.address() as { port: number }).port);
    return relay;
  }

  /** `127.0.0.1:<port>`: what clients dial instead of the target. */
  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The mode now. */
  get mode(): FaultMode {
    return this.current;
  }

  /** Connections accepted since start, those reset at once (reset mode) included. */
  get connections(): number {
    return this.accepted;
  }

  /** Connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  pass(): void {
    this.switchTo({ kind: 'pass' });
  }

  latency(ms: number): void {
    this.switchTo({ kind: 'latency', ms });
  }

  blackhole(): void {
    this.switchTo({ kind: 'blackhole' });
  }

  /** What the relay holds (blackhole, latency) is dropped, as a reset peer drops it. */
  reset(): void {
    this.current = { kind: 'reset' };
    for (const pair of this.pairs) resetPair(pair);
  }

  /** Stops accepting, destroys every connection, and resolves once the listener is closed. */
  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private switchTo(mode: FaultMode): void {
    this.current = mode;
    for (const pair of this.pairs) {
      if (mode.kind === 'blackhole') {
        pair.client.pause();
        pair.upstream.pause();
      } else {
        for (const link of pair.links) {
          link.resume();
          link.flush();
        }
      }
    }
  }

  private accept(client: Socket, host: string, port: number): void {
    this.accepted++;
    if (this.current.kind === 'reset') {
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host, port, allowHalfOpen: true });
    const pair: Pair = { client, upstream, links: [] };
    this.pairs.add(pair);
    if (this.current.kind === 'blackhole') {
      client.pause();
      upstream.pause();
    }
    pair.links.push(
      this.forward(client, upstream, (bytes) => (this.bytesToTarget += bytes)),
      this.forward(upstream, client, (bytes) => (this.bytesFromTarget += bytes)),
    );
    // Either side failing or closing ends the pair: the other side is torn down too.
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /**
   * Copies `from` into `to` through a queue that holds each chunk for the latency in force when
   * it arrived, and everything while in blackhole mode; passes on backpressure and half-close.
   * `count` is told the size of every chunk read: what crossed the wire that way.
   */
  private forward(from: Socket, to: Socket, count: (bytes: number) => void): Link {
    const queue: { chunk: Buffer | null; due: number }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let draining = false;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (this.current.kind === 'blackhole' || to.destroyed) return;
      for (let head = queue[0]; head && head.due <= Date.now(); head = queue[0]) {
        queue.shift();
        if (head.chunk === null) to.end();
        else if (!to.write(head.chunk) && !draining) {
          draining = true;
          from.pause();
          to.once('drain', () => {
            draining = false;
            if (this.current.kind !== 'blackhole') from.resume();
          });
        }
      }
      if (queue[0]) timer = setTimeout(flush, queue[0].due - Date.now());
    };
    const push = (chunk: Buffer | null) => {
      queue.push({ chunk, due: Date.now() + (this.current.kind === 'latency' ? this.current.ms : 0) });
      if (!timer) flush();
    };
    from.on('data', (chunk: Buffer) => {
      count(chunk.length);
      push(chunk);
    });
    from.on('end', () => push(null));
    // A failed socket (ECONNRESET, ECONNREFUSED) closes, which ends its pair (see accept):
    // the error is the fault under test, not one to crash on.
    from.on('error', () => {});
    from.on('close', () => clearTimeout(timer));
    return {
      flush,
      resume: () => {
        if (!draining) from.resume();
      },
    };
  }
}

function resetPair({ client, upstream }: Pair): void {
  if (!client.destroyed) client.resetAndDestroy();
  if (!upstream.destroyed) upstream.resetAndDestroy();
}
