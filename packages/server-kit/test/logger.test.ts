import pino from 'pino';
import { createLogger, okCallLineOf } from '../src';

/** A destination that keeps the raw lines. */
function capture(): { write(line: string): void; lines: string[] } {
  const lines: string[] = [];
  return { write: (line: string) => void lines.push(line), lines };
}

/** A line without its timestamp, which differs between two lines written a moment apart. */
const untimed = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"');

describe('okCallLineOf', () => {
  it('writes byte for byte the line pino writes for the same call', () => {
    const out = capture();
    const logger = createLogger({ name: 'greeter', level: 'info' }, out);
    const fields = {
      requestId: 'req-1.a:b_c',
      method: '/helloworld.Greeter/SayHello',
      code: 'OK',
      durationMs: 0.123,
    };

    okCallLineOf(logger)?.(fields.requestId, fields.method, fields.durationMs);
    logger.info(fields, 'call');

    expect(out.lines).toHaveLength(2);
    const [fast, slow] = out.lines.map(untimed);
    expect(fast).toBe(slow);
    expect(JSON.parse(out.lines[0] ?? '')).toMatchObject({
      level: 'info',
      name: 'greeter',
      ...fields,
      msg: 'call',
    });
  });

  it('leaves values that need escaping to pino', () => {
    const out = capture();
    const logger = createLogger({ name: 'greeter', level: 'info' }, out);

    okCallLineOf(logger)?.('id"with\\quotes', '/a/b', 1);

    expect(JSON.parse(out.lines[0] ?? '')).toMatchObject({ requestId: 'id"with\\quotes', method: '/a/b' });
  });

  it('is undefined for a logger that does not log info, or that createLogger did not make', () => {
    expect(okCallLineOf(createLogger({ name: 'greeter', level: 'warn' }, capture()))).toBeUndefined();
    expect(okCallLineOf(pino({ name: 'other' }, capture()))).toBeUndefined();
  });
});
