import { lengthDelimitedField } from '@repo/test-kit';
import { countSpans, OtlpSink } from '../src/otlp-sink';

// OTLP's protobuf, built field by field (opentelemetry-proto: trace/v1, resource/v1): every
// level has other fields, of other wire types, beside the ones counted.
const field = lengthDelimitedField;
const span = (name: string) => [
  ...field(1, Buffer.alloc(16, 1)),
  ...field(5, name),
  ...[6 << 3, 2], // kind, a varint
  ...[(7 << 3) | 1, ...Buffer.alloc(8)], // start_time_unix_nano, fixed64
];
const scopeSpans = (...spans: number[][]) => [
  ...field(1, field(1, 'scope')),
  ...spans.flatMap((s) => field(2, s)),
];
const resourceSpans = (...scopes: number[][]) => [
  ...field(1, field(1, 'service.name')),
  ...scopes.flatMap((s) => field(2, s)),
];
const request = Buffer.from(
  [
    resourceSpans(scopeSpans(span('a'), span('b')), scopeSpans(span('c'))),
    resourceSpans(scopeSpans(span('d'))),
  ].flatMap((resource) => field(1, resource)),
);

describe('countSpans', () => {
  it('counts the spans of an OTLP protobuf export without decoding them', () => {
    expect(countSpans(request)).toBe(4);
    expect(countSpans(Buffer.alloc(0))).toBe(0);
  });

  it('throws on a truncated export', () => {
    expect(() => countSpans(request.subarray(0, request.length - 3))).toThrow(/premature EOF/);
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
