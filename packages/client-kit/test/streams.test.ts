import { PassThrough, Writable } from 'node:stream';
import { writeAll } from '../src';

/** An object-mode Writable that takes one item at a time, when `release` is called. */
function slowSink(highWaterMark: number) {
  const written: number[] = [];
  const pending: (() => void)[] = [];
  const sink = new Writable({
    objectMode: true,
    highWaterMark,
    write(item: number, _encoding, done) {
      written.push(item);
      pending.push(done);
    },
  });
  const release = () => pending.shift()?.();
  return { sink, written, release };
}

describe('writeAll', () => {
  it('writes every item in order and ends the stream', async () => {
    const stream = new PassThrough({ objectMode: true });
    const read: unknown[] = [];
    stream.on('data', (item) => read.push(item));

    await writeAll(stream, [1, 2, 3], new AbortController().signal);

    expect(read).toEqual([1, 2, 3]);
    expect(stream.writableEnded).toBe(true);
  });

  it('stops pulling from the source while the stream is full', async () => {
    const { sink, written, release } = slowSink(2);
    let pulled = 0;
    function* source() {
      for (let i = 1; i <= 10; i++) {
        pulled = i;
        yield i;
      }
    }

    const done = writeAll(sink, source(), new AbortController().signal);
    await new Promise(setImmediate);

    expect(written).toEqual([1]);
    expect(pulled).toBeLessThanOrEqual(3);
    for (let i = 0; i < 10; i++) {
      release();
      await new Promise(setImmediate);
    }
    await done;
    expect(written).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops without ending the stream once the stop signal aborts', async () => {
    const stream = new PassThrough({ objectMode: true });
    stream.resume();
    const stop = new AbortController();
    let pulled = 0;
    async function* source() {
      for (let i = 1; i <= 1_000; i++) {
        pulled = i;
        if (i === 3) stop.abort();
        yield i;
      }
    }

    await writeAll(stream, source(), stop.signal);

    expect(pulled).toBe(3);
    expect(stream.writableEnded).toBe(false);
  });

  it('rejects with an AbortError when stopped while waiting for drain', async () => {
    const { sink } = slowSink(1);
    const stop = new AbortController();

    const done = writeAll(sink, [1, 2, 3], stop.signal);
    await new Promise(setImmediate);
    stop.abort();

    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });
});
