import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` every 10 ms until it holds; throws, naming `what`, once `timeoutMs` has
 * passed. Every wait in these tests is bounded by one of these.
 */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves with what `promise` rejects with; fails if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err: unknown) {
    return err;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Reads an async iterable to its end, or until it throws; returns what came and the error. */
export async function drain<T>(source: AsyncIterable<T>): Promise<{ received: T[]; error: unknown }> {
  const received: T[] = [];
  try {
    for await (const item of source) received.push(item);
  } catch (err: unknown) {
    return { received, error: err };
  }
  return { received, error: undefined };
}

/** Rejects when `promise` has not settled within `ms`: no wait in a test is unbounded. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
