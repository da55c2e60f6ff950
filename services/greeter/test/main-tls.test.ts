import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createTlsCredentials, HealthClient } from '@repo/client-kit';
import { Greeter } from '@repo/greeter-client';
import {
  createDevCerts,
  type DevCerts,
  freePort,
  type ServiceProcess,
  spawnService,
  within,
} from '@repo/test-kit';
import { runToExit } from './support/exit';

// The built entry point: run `pnpm build` first.
const MAIN = join(__dirname, '..', 'dist', 'main.js');

let certs: DevCerts;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  certs = await createDevCerts();
});

afterAll(async () => {
  await certs?.remove();
});

afterEach(async () => {
  if (service && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill('SIGKILL');
    await within(service.exited, 5_000, 'exit after SIGKILL');
  }
  service = undefined;
});

describe('the greeter process with TLS variables', () => {
  it('serves over mTLS with TLS_CERT_FILE, TLS_KEY_FILE and TLS_CLIENT_CA_FILE, and says so', async () => {
    service = await spawnService(MAIN, {
      TLS_CERT_FILE: certs.server,
      TLS_KEY_FILE: certs.serverKey,
      TLS_CLIENT_CA_FILE: certs.ca,
    });
    expect(service.logs.find((line) => line.msg === 'serving')).toMatchObject({ tls: 'mtls' });

    const greeter = new Greeter({
      target: `localhost:${service.port}`,
      credentials: createTlsCredentials({
        ca: readFileSync(certs.ca),
        cert: readFileSync(certs.client),
        key: readFileSync(certs.clientKey),
      }),
    });
    try {
      expect(await greeter.sayHello('Ada', { timeoutMs: 5_000 })).toMatchObject({ message: 'Hello Ada' });
    } finally {
      greeter.close();
    }
  });

  it('serves health alone in plaintext on HEALTH_PORT, for probes that cannot do TLS', async () => {
    service = await spawnService(MAIN, {
      TLS_CERT_FILE: certs.server,
      TLS_KEY_FILE: certs.serverKey,
      HEALTH_PORT: String(await freePort()),
    });
    const line = await service.waitForLog((logged) => logged.msg === 'serving health');
    expect(line).toMatchObject({ services: ['grpc.health.v1.Health'], tls: 'off' });

    const health = new HealthClient(`127.0.0.1:${line.port}`);
    const plain = new Greeter({ target: `127.0.0.1:${line.port}` });
    try {
      expect(await health.check('helloworld.Greeter', { timeoutMs: 5_000 })).toBe('SERVING');
      await expect(plain.sayHello('Ada', { timeoutMs: 5_000 })).rejects.toMatchObject({
        code: status.UNIMPLEMENTED,
      });
    } finally {
      health.close();
      plain.close();
    }
  });

  it('exits with code 2 naming TLS_KEY_FILE when only TLS_CERT_FILE is set', async () => {
    const exit = await runToExit(MAIN, { TLS_CERT_FILE: certs.server });

    expect(exit.exit).toBe(2);
    expect(exit.stderr).toBe(
      'greeter: invalid configuration: TLS_CERT_FILE is set, so TLS_KEY_FILE must be too (TLS needs a certificate and its key)\n',
    );
  });

  it('exits with code 2 naming the variable and the path of a missing file', async () => {
    const missing = join(certs.dir, 'missing-key.pem');
    const exit = await runToExit(MAIN, { TLS_CERT_FILE: certs.server, TLS_KEY_FILE: missing });

    expect(exit.exit).toBe(2);
    expect(exit.stderr).toBe(
      `greeter: invalid configuration: TLS_KEY_FILE must be a readable PEM file, got "${missing}" (ENOENT: no such file or directory)\n`,
    );
  });
});
