import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Anything a client stream can be fed from. */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Writes every item of `source`, through `map`, to `stream`, waiting for 'drain' whenever
 * `write` says its buffer is full, then half-closes it. Stops early, without half-closing, when
 * `stop` aborts (the call ended: there is no one left to write to); it then rejects with an
 * AbortError if it was waiting for 'drain'. A synchronous source is read without an `await` per
 * item, which makes a long client stream several times cheaper.
 */
export async function writeAll<T, U = T>(
  stream: Writable,
  source: Source<T>,
  stop: AbortSignal,
  map: (item: T) => U = (item) => item as unknown as U,
): Promise<void> {
  if (Symbol.iterator in source) {
    for (const item of source) {
      if (stop.aborted) return;
      if (!stream.write(map(item))) await once(stream, 'drain', { signal: stop });
    }
  } else {
    for await (const item of source) {
      if (stop.aborted) return;
      if (!stream.write(map(item))) await once(stream, 'drain', { signal: stop });
    }
  }
  if (!stop.aborted) stream.end();
}
