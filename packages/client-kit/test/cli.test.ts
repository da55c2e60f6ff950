import { Metadata, status } from '@grpc/grpc-js';
import { encodeRpcStatus, STATUS_DETAILS_HEADER } from '@repo/wire';
import {
  commonCallOptions,
  commonCompression,
  compressionOptions,
  describeError,
  describeErrorDetails,
  type ErrorDetails,
  parseCount,
  UNARY_TIMEOUT_MS,
  UsageError,
} from '../src';

describe('parseCount', () => {
  it('returns the fallback when the flag is absent', () => {
    expect(parseCount('count', undefined, 5)).toBe(5);
  });

  it('parses a non-negative integer', () => {
    expect(parseCount('count', '0', 5)).toBe(0);
    expect(parseCount('count', '1000000', 5)).toBe(1_000_000);
  });

  it.each(['-1', '1.5', 'ten', '', '1e3', '99999999999999999999'])(
    'rejects "%s" with a UsageError naming the flag',
    (value) => {
      expect(() => parseCount('count', value, 5)).toThrow(
        new UsageError(`--count must be a non-negative integer, got "${value}"`),
      );
    },
  );
});

describe('commonCallOptions', () => {
  it('takes the default timeout it is given, and no request id', () => {
    expect(commonCallOptions({}, UNARY_TIMEOUT_MS, {})).toStrictEqual({ timeoutMs: 10_000 });
  });

  it('sets no deadline when its default is none, as for a stream', () => {
    expect(commonCallOptions({}, undefined, {})).toStrictEqual({});
    expect(commonCallOptions({ 'timeout-ms': '250' }, undefined, {})).toStrictEqual({ timeoutMs: 250 });
  });

  it('takes --timeout-ms and --request-id', () => {
    expect(commonCallOptions({ 'timeout-ms': '250', 'request-id': 'req-9' }, UNARY_TIMEOUT_MS)).toEqual({
      timeoutMs: 250,
      requestId: 'req-9',
    });
  });

  it('takes the token from --token, else from GRPC_TOKEN, else sends none', () => {
    const env = { GRPC_TOKEN: 'from-the-environment' };

    expect(commonCallOptions({ token: 'from-the-flag' }, UNARY_TIMEOUT_MS, env)).toEqual({
      timeoutMs: 10_000,
      token: 'from-the-flag',
    });
    expect(commonCallOptions({}, UNARY_TIMEOUT_MS, env)).toEqual({
      timeoutMs: 10_000,
      token: 'from-the-environment',
    });
    expect(commonCallOptions({}, UNARY_TIMEOUT_MS, { GRPC_TOKEN: '' })).toStrictEqual({ timeoutMs: 10_000 });
  });
});

describe('describeError', () => {
  it('names the status code of a failed call', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE: no connection'), {
      code: status.UNAVAILABLE,
      details: 'no connection',
    });

    expect(describeError(err)).toBe('UNAVAILABLE: no connection');
  });

  it.each([
    [
      'round_robin: No connection established. Last error: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:59999. Resolution note: ',
      'cannot reach 127.0.0.1:59999: connection refused',
    ],
    [
      'No connection established. Last error: Error: connect ETIMEDOUT [::1]:50051. Resolution note: ',
      'cannot reach [::1]:50051: connection timed out',
    ],
    [
      'Name resolution failed for target dns:///nohost.invalid:50051',
      'cannot resolve dns:///nohost.invalid:50051',
    ],
  ])('says which address cannot be reached, and why, for UNAVAILABLE "%s"', (details, expected) => {
    const err = Object.assign(new Error(`14 UNAVAILABLE: ${details}`), { code: status.UNAVAILABLE, details });

    expect(describeError(err)).toBe(expected);
  });

  it('falls back to the message of any other error', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('plain')).toBe('plain');
  });

  it('keeps to one line when the details span several, as TLS errors do', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE'), {
      code: status.UNAVAILABLE,
      details: 'Last error: alert certificate required:SSL alert number 116\n (2026-01-01T00:00:00.000Z). ',
    });

    expect(describeError(err)).toBe(
      'UNAVAILABLE: Last error: alert certificate required:SSL alert number 116 (2026-01-01T00:00:00.000Z).',
    );
  });
});

describe('describeErrorDetails', () => {
  /** A failed call whose trailers carry this google.rpc.Status. */
  function failedWith(details: ErrorDetails): Error {
    const metadata = new Metadata();
    metadata.set(
      STATUS_DETAILS_HEADER,
      encodeRpcStatus(status.INVALID_ARGUMENT, 'text must not be empty', details),
    );
    return Object.assign(new Error('3 INVALID_ARGUMENT'), {
      code: 3,
      details: 'text must not be empty',
      metadata,
    });
  }

  it('gives one line per field violation, then the reason with its metadata, then when to retry', () => {
    const err = failedWith({
      badRequest: { fieldViolations: [{ field: 'text', description: 'must not be\nempty' }] },
      errorInfo: { reason: 'TEXT_EMPTY', domain: 'stream.v1.StreamService', metadata: { message: '3' } },
      retryInfo: { retryDelayMs: 1_500 },
    });

    expect(describeErrorDetails(err)).toEqual([
      'text: must not be empty',
      'reason: TEXT_EMPTY (message: 3)',
      'retry after: 1500 ms',
    ]);
  });

  it('gives nothing for an error without details, or with a trailer that is not a google.rpc.Status', () => {
    expect(describeErrorDetails(new Error('boom'))).toEqual([]);
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_HEADER, Buffer.from([0xff, 0xff, 0xff]));
    expect(describeErrorDetails(Object.assign(new Error('x'), { code: 2, details: 'x', metadata }))).toEqual(
      [],
    );
  });
});

describe('commonCompression', () => {
  it('takes --compress over GRPC_COMPRESSION, and neither means none', () => {
    expect(commonCompression({ compress: 'gzip' }, { GRPC_COMPRESSION: 'deflate' })).toBe('gzip');
    expect(commonCompression({}, { GRPC_COMPRESSION: 'deflate' })).toBe('deflate');
    expect(commonCompression({}, {})).toBeUndefined();
    expect(commonCompression({}, { GRPC_COMPRESSION: '' })).toBeUndefined();
  });

  it('refuses an encoding grpc-js cannot send, naming where it came from', () => {
    expect(() => commonCompression({ compress: 'br' }, {})).toThrow(
      new UsageError('--compress must be one of identity, deflate, gzip, got "br"'),
    );
    expect(() => commonCompression({}, { GRPC_COMPRESSION: 'GZIP' })).toThrow(
      new UsageError('GRPC_COMPRESSION must be one of identity, deflate, gzip, got "GZIP"'),
    );
  });

  it("sets grpc-js's default_compression_algorithm for gzip and deflate only", () => {
    expect(compressionOptions('gzip')).toEqual({ 'grpc.default_compression_algorithm': 2 });
    expect(compressionOptions('deflate')).toEqual({ 'grpc.default_compression_algorithm': 1 });
    expect(compressionOptions('identity')).toEqual({});
    expect(compressionOptions(undefined)).toEqual({});
  });
});
