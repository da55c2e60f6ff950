import { bytesField } from '../src/baselines/wire';
import { countSpans, OtlpSink } from '../src/otlp-sink';

// OTLP's protobuf, built field by field (opentelemetry-proto: trace/v1, resource/v1): every
// level has other fields, of other wire types, beside the ones counted.
const span = (name: string) => {
  const startTime = Buffer.alloc(9);
  startTime[0] = (7 << 3) | 1; // start_time_unix_nano, fixed64
  return Buffer.concat([
    bytesField(1, Buffer.alloc(16, 1)),
    bytesField(5, name),
    Buffer.from([6 << 3, 2]),
    startTime,
  ]);
};
const scopeSpans = (...spans: Buffer[]) =>
  Buffer.concat([bytesField(1, bytesField(1, 'scope')), ...spans.map((s) => bytesField(2, s))]);
const resourceSpans = (...scopes: Buffer[]) =>
  Buffer.concat([bytesField(1, bytesField(1, 'service.name')), ...scopes.map((s) => bytesField(2, s))]);
const request = Buffer.concat(
  [
    resourceSpans(scopeSpans(span('a'), span('b')), scopeSpans(span('c'))),
    resourceSpans(scopeSpans(span('d'))),
  ].map((resource) => bytesField(1, resource)),
);

describe('countSpans', () => {
  it('counts the spans of an OTLP protobuf export without decoding them', () => {
    expect(countSpans(request)).toBe(4);
    expect(countSpans(Buffer.alloc(0))).toBe(0);
  });

  it('throws on a truncated export', () => {
    expect(() => countSpans(request.subarray(0, request.length - 3))).toThrow(/truncated/);
  });
});

describe('OtlpSink', () => {
  it('answers every export 200 and counts the spans of the trace exports', async () => {
    const sink = await OtlpSink.start();
    try {
      const post = (path: string, body: Buffer) =>
        fetch(`${sink.endpoint}${path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-protobuf' },
        });
      const answers = await Promise.all([
        post('/v1/traces', request),
        post('/v1/metrics', Buffer.from([1, 2, 3])),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect([sink.spans, sink.unreadable]).toEqual([4, 0]);
    } finally {
      await sink.close();
    }
  });
});
