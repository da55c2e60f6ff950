import type { GetStreamRequest } from '@repo/proto';
import { sentenceOf } from '@repo/server-kit';
import { checkGetStreamRequest, GET_STREAM_LIMITS } from '../src/get-stream';

const valid: GetStreamRequest = { text: 'hello', count: 1, intervalMs: 0, payloadBytes: 0 };

/** The sentence the client reads for what is wrong. */
function check(overrides: Partial<GetStreamRequest>): string | undefined {
  return sentenceOf(checkGetStreamRequest({ ...valid, ...overrides }));
}

describe('checkGetStreamRequest', () => {
  it('accepts the smallest and the largest request within every limit', () => {
    expect(check({})).toBeUndefined();
    expect(
      check({
        text: 'x'.repeat(1024),
        count: 10_000_000,
        intervalMs: 60_000,
        payloadBytes: 1024 * 1024,
      }),
    ).toBeUndefined();
  });

  it('publishes the limits it enforces', () => {
    expect(GET_STREAM_LIMITS).toEqual({
      maxCount: 10_000_000,
      maxIntervalMs: 60_000,
      maxPayloadBytes: 1_048_576,
      maxTextLength: 1024,
    });
  });

  it('rejects a count of zero', () => {
    expect(check({ count: 0 })).toBe('count must be from 1 to 10000000, got 0');
  });

  it('rejects a count above ten million', () => {
    expect(check({ count: 10_000_001 })).toBe('count must be from 1 to 10000000, got 10000001');
  });

  it('rejects an interval above one minute', () => {
    expect(check({ intervalMs: 60_001 })).toBe('interval_ms must be at most 60000, got 60001');
  });

  it('rejects a payload above 1 MiB', () => {
    expect(check({ payloadBytes: 1_048_577 })).toBe('payload_bytes must be at most 1048576, got 1048577');
  });

  it('accepts an empty text', () => {
    expect(check({ text: '' })).toBeUndefined();
  });

  it('counts the text in characters, so 1024 astral characters pass and 1025 do not', () => {
    expect(check({ text: '😀'.repeat(1024) })).toBeUndefined();
    expect(check({ text: '😀'.repeat(1025) })).toBe('text must be at most 1024 characters, got 1025');
    expect(check({ text: 'x'.repeat(1025) })).toBe('text must be at most 1024 characters, got 1025');
  });

  it('rejects a text with a control character or a lone surrogate', () => {
    const message = 'text must be valid UTF-8 text without control characters';
    expect(check({ text: 'a\u0001b' })).toBe(message);
    expect(check({ text: 'line\nbreak' })).toBe(message);
    expect(check({ text: '\ud800' })).toBe(message);
    expect(check({ text: 'bad \ufffd byte' })).toBe(message);
  });

  it('reports the count before any other problem', () => {
    expect(check({ count: 0, intervalMs: 60_001, text: '\u0001' })).toBe(
      'count must be from 1 to 10000000, got 0',
    );
  });

  it('names the field that is wrong, and gives each problem a stable reason', () => {
    const reasonOf = (overrides: Partial<GetStreamRequest>) =>
      checkGetStreamRequest({ ...valid, ...overrides });
    expect(reasonOf({ count: 0 })).toMatchObject({ field: 'count', reason: 'COUNT_OUT_OF_RANGE' });
    expect(reasonOf({ intervalMs: 60_001 })).toMatchObject({
      field: 'interval_ms',
      reason: 'INTERVAL_MS_TOO_LARGE',
    });
    expect(reasonOf({ payloadBytes: 1_048_577 })).toMatchObject({
      field: 'payload_bytes',
      description: 'must be at most 1048576, got 1048577',
      reason: 'PAYLOAD_BYTES_TOO_LARGE',
    });
    expect(reasonOf({ text: 'a\u0001' })).toMatchObject({ field: 'text', reason: 'TEXT_INVALID_TEXT' });
  });
});
