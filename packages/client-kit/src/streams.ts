import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Anything a client stream can be fed from. */
export type Source<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Writes every item of `source` to `stream`, waiting for 'drain' whenever `write` says its
 * buffer is full, then half-closes it. Stops early, without half-closing, when `stop` aborts
 * (the call ended: there is no one left to write to); it then rejects with an AbortError if it
 * was waiting for 'drain'.
 */
export async function writeAll<T>(stream: Writable, source: Source<T>, stop: AbortSignal): Promise<void> {
  for await (const item of source) {
    if (stop.aborted) return;
    if (!stream.write(item)) await once(stream, 'drain', { signal: stop });
  }
  if (!stop.aborted) stream.end();
}
