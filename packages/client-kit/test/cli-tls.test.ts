import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commonCredentials, UsageError } from '../src';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-tls-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The UsageError that `make` throws. */
function usageErrorOf(make: () => unknown): UsageError {
  try {
    make();
  } catch (err: unknown) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('commonCredentials', () => {
  it('is plaintext (undefined) when no flag and no variable is given', () => {
    expect(commonCredentials({}, {})).toBeUndefined();
    expect(commonCredentials({}, { GRPC_CA_FILE: ' ' })).toBeUndefined();
  });

  it('refuses --cert without --key, and --key without --cert', () => {
    expect(usageErrorOf(() => commonCredentials({ cert: 'client.pem' }, {})).message).toBe(
      "--cert needs --key (or GRPC_KEY_FILE): the certificate's key",
    );
    expect(usageErrorOf(() => commonCredentials({}, { GRPC_KEY_FILE: 'client-key.pem' })).message).toBe(
      "GRPC_KEY_FILE needs --cert (or GRPC_CERT_FILE): the key's certificate",
    );
  });

  it('names the flag and the path of a file that cannot be read', () => {
    const missing = join(dir, 'missing.pem');
    expect(usageErrorOf(() => commonCredentials({ ca: missing }, {})).message).toBe(
      `--ca: cannot read "${missing}" (ENOENT: no such file or directory)`,
    );
  });

  it('takes each file from its variable when the flag is absent, and prefers the flag', () => {
    const fromEnv = join(dir, 'from-env.pem');
    const fromFlag = join(dir, 'from-flag.pem');
    expect(usageErrorOf(() => commonCredentials({}, { GRPC_CA_FILE: fromEnv })).message).toBe(
      `GRPC_CA_FILE: cannot read "${fromEnv}" (ENOENT: no such file or directory)`,
    );
    expect(usageErrorOf(() => commonCredentials({ ca: fromFlag }, { GRPC_CA_FILE: fromEnv })).message).toBe(
      `--ca: cannot read "${fromFlag}" (ENOENT: no such file or directory)`,
    );
  });

  it('refuses a CA file that holds no certificate, naming it', () => {
    const notPem = join(dir, 'not-a-certificate.pem');
    writeFileSync(notPem, 'hello\n');
    expect(usageErrorOf(() => commonCredentials({ ca: notPem }, {})).message).toMatch(
      new RegExp(
        `^--ca ${notPem.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the CA is not a PEM certificate \\(.+\\)$`,
      ),
    );
  });
});
