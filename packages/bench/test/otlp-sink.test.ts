import { bytesField, varintField } from '../src/baselines/wire';
import { countJsonSpans, countSpans, OtlpSink } from '../src/otlp-sink';

// OTLP's protobuf, built field by field (opentelemetry-proto: trace/v1, common/v1, resource/v1).
const anyString = (value: string) => bytesField(1, value);
const keyValue = (key: string, value: Buffer) => Buffer.concat([bytesField(1, key), bytesField(2, value)]);
const span = (name: string) => {
  const startTime = Buffer.alloc(9);
  startTime[0] = (7 << 3) | 1; // start_time_unix_nano, fixed64
  startTime.writeBigUInt64LE(1_700_000_000_000_000_000n, 1);
  return Buffer.concat([
    bytesField(1, Buffer.alloc(16, 1)),
    bytesField(5, name),
    varintField(6, 2),
    startTime,
  ]);
};
const scopeSpans = (...spans: Buffer[]) =>
  Buffer.concat([bytesField(1, bytesField(1, 'scope')), ...spans.map((s) => bytesField(2, s))]);
const resourceSpans = (service: string | undefined, ...scopes: Buffer[]) =>
  Buffer.concat([
    bytesField(
      1,
      Buffer.concat([
        bytesField(1, keyValue('process.pid', varintField(3, 1234))),
        ...(service === undefined ? [] : [bytesField(1, keyValue('service.name', anyString(service)))]),
      ]),
    ),
    ...scopes.map((scope) => bytesField(2, scope)),
  ]);
const exportRequest = (...resources: Buffer[]) => Buffer.concat(resources.map((r) => bytesField(1, r)));

const request = exportRequest(
  resourceSpans('stream', scopeSpans(span('a'), span('b')), scopeSpans(span('c'))),
  resourceSpans('greeter', scopeSpans(span('d'))),
  resourceSpans(undefined, scopeSpans(span('e'))),
);

describe('countSpans', () => {
  it('counts the spans of an OTLP protobuf export by service.name, without decoding them', () => {
    expect(countSpans(request)).toEqual({ stream: 3, greeter: 1, '': 1 });
  });

  it('counts nothing in an empty export and throws on a truncated one', () => {
    expect(countSpans(Buffer.alloc(0))).toEqual({});
    expect(() => countSpans(request.subarray(0, request.length - 3))).toThrow(/truncated/);
  });
});

describe('countJsonSpans', () => {
  it('counts the spans of an OTLP/JSON export by service.name', () => {
    expect(
      countJsonSpans({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'greeter' } }] },
            scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }],
          },
        ],
      }),
    ).toEqual({ greeter: 3 });
  });
});

describe('OtlpSink', () => {
  let sink: OtlpSink;
  beforeAll(async () => {
    sink = await OtlpSink.start();
  });
  afterAll(() => sink.close());

  it('answers every export 200 and counts the spans it was sent', async () => {
    const post = (path: string, body: Buffer | string, type: string) =>
      fetch(`${sink.endpoint}${path}`, { method: 'POST', body, headers: { 'content-type': type } });
    const traces = await post('/v1/traces', request, 'application/x-protobuf');
    const metrics = await post('/v1/metrics', Buffer.from([1, 2, 3]), 'application/x-protobuf');
    const json = await post(
      '/v1/traces',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}] }] }] }),
      'application/json',
    );
    expect([traces.status, metrics.status, json.status]).toEqual([200, 200, 200]);
    expect(sink.spans).toEqual({ stream: 3, greeter: 1, '': 2 });
    expect(sink.totalSpans()).toBe(6);
    expect(sink.requests).toEqual({ '/v1/traces': 2, '/v1/metrics': 1 });
    expect(sink.unreadable).toBe(0);
  });
});
