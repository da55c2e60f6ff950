import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@repo/runner';

/** scripts/dev-certs.sh, at the repository root. */
const DEV_CERTS_SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'dev-certs.sh');

/** The files scripts/dev-certs.sh writes, as absolute paths. */
export interface DevCerts {
  dir: string;
  ca: string;
  server: string;
  serverKey: string;
  client: string;
  clientKey: string;
  /** An unrelated CA, and a client certificate it signed: what an mTLS server must refuse. */
  otherCa: string;
  otherClient: string;
  otherClientKey: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

/**
 * Runs scripts/dev-certs.sh into a new temporary directory (openssl must be installed), killing
 * it after `timeoutMs`.
 */
export async function createDevCerts(timeoutMs = 10_000): Promise<DevCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'dev-certs-'));
  const made = await run('bash', [DEV_CERTS_SCRIPT, dir], { timeoutMs }).catch((err: unknown) => ({
    exit: 'not run',
    stderr: err instanceof Error ? err.message : String(err),
  }));
  if (made.exit !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${DEV_CERTS_SCRIPT} failed (${made.exit}): ${made.stderr}`);
  }
  const file = (name: string) => join(dir, name);
  return {
    dir,
    ca: file('ca.pem'),
    server: file('server.pem'),
    serverKey: file('server-key.pem'),
    client: file('client.pem'),
    clientKey: file('client-key.pem'),
    otherCa: file('other-ca.pem'),
    otherClient: file('other-client.pem'),
    otherClientKey: file('other-client-key.pem'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
