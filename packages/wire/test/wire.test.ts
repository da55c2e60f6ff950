import { Metadata, status } from '@grpc/grpc-js';
import { createTlsCredentials, isCallError, readPemFile, reasonOf } from '../src';

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
