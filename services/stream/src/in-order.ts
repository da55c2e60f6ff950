/**
 * `map(item, index)` for every item of `source`, with up to `window` of them in flight at once,
 * the results yielded in the order of the items, whichever settles first. An item is read from
 * `source` only when there is room in the window, and only while the consumer is not paused at
 * a yield, so a slow consumer or slow results hold back the reading: memory is bounded by the
 * window. A result that rejects is thrown at its turn, after the results before it; leaving
 * early (a throw, a break) stops reading, and the maps still in flight are left to the caller
 * to cancel (the signal it gave them).
 */
export async function* mapInOrder<T, R>(
  source: AsyncIterable<T>,
  map: (item: T, index: number) => Promise<R>,
  window: number,
): AsyncGenerator<R, void, undefined> {
  const items = source[Symbol.asyncIterator]();
  const results: Promise<R>[] = [];
  let reading: Promise<IteratorResult<T>> | undefined;
  let sourceDone = false;
  let index = 0;
  try {
    for (;;) {
      if (!sourceDone && !reading && results.length < window) reading = items.next();
      const oldest = results[0];
      if (!oldest) {
        if (!reading) return;
        startNext(await reading);
        continue;
      }
      if (reading && (await firstOf(reading, oldest)) === 'read') {
        startNext(await reading);
        continue;
      }
      results.shift();
      yield await oldest;
    }
  } finally {
    if (!sourceDone) await items.return?.();
  }

  function startNext(item: IteratorResult<T>): void {
    reading = undefined;
    if (item.done) {
      sourceDone = true;
      return;
    }
    const result = map(item.value, index++);
    result.catch(() => {}); // thrown at its turn, not reported as unhandled meanwhile
    results.push(result);
  }
}

/** Which of the two settles first, read before result when both have. */
function firstOf(read: Promise<unknown>, result: Promise<unknown>): Promise<'read' | 'result'> {
  const settled = (which: 'read' | 'result') => [() => which, () => which] as const;
  return Promise.race([read.then(...settled('read')), result.then(...settled('result'))]);
}
