import { envNameOf, formatLogLine } from '../src';

describe('formatLogLine', () => {
  it('shows a pino line as level, message and fields, after the prefix', () => {
    const line = JSON.stringify({
      level: 'info',
      time: 1,
      name: 'greeter',
      msg: 'call',
      code: 'OK',
      ms: 0.4,
      tags: [1],
    });
    expect(formatLogLine(line, 'greeter')).toBe('greeter  info  call code=OK ms=0.4 tags=[1]');
    expect(formatLogLine(line)).toBe('info  call code=OK ms=0.4 tags=[1]');
  });

  it('shows any other line as it is', () => {
    expect(formatLogLine('Error: boom', 'stream')).toBe('stream   Error: boom');
    expect(formatLogLine('42')).toBe('42');
  });
});

describe('envNameOf', () => {
  it("is a service's name as the prefix of its variables", () => {
    expect(envNameOf('greeter')).toBe('GREETER');
    expect(envNameOf('order-book')).toBe('ORDER_BOOK');
  });
});
