import { Metadata, status } from '@grpc/grpc-js';
import { Status } from '@repo/proto';
import {
  createTlsCredentials,
  decodeRpcStatus,
  type ErrorDetails,
  encodeRpcStatus,
  errorDetailsOf,
  isCallError,
  readPemFile,
  reasonOf,
  STATUS_DETAILS_HEADER,
} from '../src';

describe('isCallError', () => {
  it("knows a failed call's error by its numeric code and its details", () => {
    const failed = Object.assign(new Error('14 UNAVAILABLE: down'), {
      code: status.UNAVAILABLE,
      details: 'down',
      metadata: new Metadata(),
    });

    expect(isCallError(failed)).toBe(true);
  });

  it.each([
    ['an Error without a code', new Error('plain')],
    [
      'a Node error, whose code is a string',
      Object.assign(new Error('refused'), { code: 'ECONNREFUSED', details: '' }),
    ],
    ['a code and details that are not an Error', { code: 2, details: 'x' }],
    ['nothing', undefined],
  ])('refuses %s', (_, value) => {
    expect(isCallError(value)).toBe(false);
  });
});

describe('TLS credentials', () => {
  it('names the file that cannot be read, and why, without repeating the path', () => {
    expect(() => readPemFile('/nonexistent/ca.pem')).toThrow(
      'cannot read "/nonexistent/ca.pem" (ENOENT: no such file or directory)',
    );
  });

  it('refuses a CA that is not a PEM certificate at once, not at the first call', () => {
    expect(() => createTlsCredentials({ ca: Buffer.from('not a certificate') })).toThrow(
      /^the CA is not a PEM certificate \(/,
    );
  });

  it("keeps OpenSSL's reason and drops its code", () => {
    expect(reasonOf(new Error('error:0480006C:PEM routines::no start line'))).toBe('no start line');
    expect(reasonOf('a string')).toBe('a string');
  });
});

describe('the google.rpc.Status of grpc-status-details-bin', () => {
  it('round-trips every detail this project sends, the retry delay to the millisecond', () => {
    const details: ErrorDetails = {
      errorInfo: { reason: 'SERVER_BUSY', domain: 'helloworld.Greeter', metadata: { message: '2' } },
      badRequest: { fieldViolations: [{ field: 'name', description: 'must not be empty' }] },
      retryInfo: { retryDelayMs: 1_250 },
    };

    expect(decodeRpcStatus(encodeRpcStatus(8, 'server busy', details))).toEqual({
      code: 8,
      message: 'server busy',
      details,
    });
  });

  it('names the type of a detail it does not know, rather than dropping it', () => {
    const bytes = Status.encode({
      code: 9,
      message: 'no',
      details: [{ typeUrl: 'type.googleapis.com/google.rpc.QuotaFailure', value: Buffer.alloc(0) }],
    }).finish();

    expect(decodeRpcStatus(bytes).details).toEqual({
      unknownTypes: ['type.googleapis.com/google.rpc.QuotaFailure'],
    });
  });

  it('finds the details of a failed call in its trailers, and nothing in a call without them', () => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_HEADER, encodeRpcStatus(14, 'gone', { retryInfo: { retryDelayMs: 1_000 } }));

    expect(errorDetailsOf({ metadata })).toEqual({ retryInfo: { retryDelayMs: 1_000 } });
    expect(errorDetailsOf({ metadata: new Metadata() })).toBeUndefined();
    expect(errorDetailsOf(new Error('no metadata'))).toBeUndefined();
    expect(errorDetailsOf(undefined)).toBeUndefined();
  });
});
