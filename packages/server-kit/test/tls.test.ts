import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChannelCredentials, type ChannelOptions, credentials, status } from '@grpc/grpc-js';
import { createTlsCredentials } from '@repo/client-kit';
import { GreeterClient, GreeterService } from '@repo/proto';
import { runNode } from '@repo/runner';
import { createDevCerts, type DevCerts, LogSink } from '@repo/test-kit';
import {
  createLogger,
  createServer,
  type GrpcServer,
  readChannelTls,
  readServerConfig,
  readServerTls,
} from '../src';
import { tlsModeOf } from '../src/tls';
import { type Outcome, sayHello } from './support/calls';
import { configErrorOf } from './support/config-error';
import { createTestGreeter } from './support/test-services';

/** The built health probe, as the Docker HEALTHCHECK runs it. */
const PROBE = join(__dirname, '..', 'dist', 'probe.js');

/** The name every client here checks the server's certificate for (the target is an IP). */
const SERVER_NAME = { 'grpc.ssl_target_name_override': 'localhost' };

let certs: DevCerts;

beforeAll(async () => {
  certs = await createDevCerts();
});

afterAll(async () => {
  await certs?.remove();
});

const pem = (path: string) => readFileSync(path);

describe('readServerTls', () => {
  it('leaves TLS off when no TLS variable is set', () => {
    expect(readServerTls({ TLS_CERT_FILE: ' ' })).toBeUndefined();
    expect(readServerConfig({}, { port: 1, metricsPort: 0 }).tls).toBeUndefined();
    expect(tlsModeOf(undefined)).toBe('off');
  });

  it('reads the certificate and the key for TLS, and the client CA for mTLS', () => {
    const tls = readServerTls({ TLS_CERT_FILE: certs.server, TLS_KEY_FILE: certs.serverKey });
    expect(tls).toEqual({ cert: pem(certs.server), key: pem(certs.serverKey) });
    expect(tlsModeOf(tls)).toBe('tls');

    const mtls = readServerConfig(
      { TLS_CERT_FILE: certs.server, TLS_KEY_FILE: certs.serverKey, TLS_CLIENT_CA_FILE: certs.ca },
      { port: 1, metricsPort: 0 },
    ).tls;
    expect(mtls?.clientCa).toEqual(pem(certs.ca));
    expect(tlsModeOf(mtls)).toBe('mtls');
  });

  it('refuses TLS_CERT_FILE without TLS_KEY_FILE, and the other way round', () => {
    expect(
      configErrorOf(() => readServerConfig({ TLS_CERT_FILE: certs.server }, { port: 1, metricsPort: 0 }))
        .message,
    ).toBe('TLS_CERT_FILE is set, so TLS_KEY_FILE must be too (TLS needs a certificate and its key)');
    expect(configErrorOf(() => readServerTls({ TLS_KEY_FILE: certs.serverKey })).message).toBe(
      'TLS_KEY_FILE is set, so TLS_CERT_FILE must be too (TLS needs a certificate and its key)',
    );
  });

  it('refuses TLS_CLIENT_CA_FILE without a certificate and key', () => {
    expect(configErrorOf(() => readServerTls({ TLS_CLIENT_CA_FILE: certs.ca })).message).toBe(
      'TLS_CLIENT_CA_FILE is set, so TLS_CERT_FILE and TLS_KEY_FILE must be too (mTLS is TLS)',
    );
  });

  it.each(['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE'])(
    'names %s and its path when the file does not exist',
    (name) => {
      const missing = join(certs.dir, 'missing.pem');
      const env = {
        TLS_CERT_FILE: certs.server,
        TLS_KEY_FILE: certs.serverKey,
        TLS_CLIENT_CA_FILE: certs.ca,
        [name]: missing,
      };
      expect(configErrorOf(() => readServerTls(env)).message).toBe(
        `${name} must be a readable PEM file, got "${missing}" (ENOENT: no such file or directory)`,
      );
    },
  );

  it('refuses a key that is not the certificate’s, naming both files', () => {
    const env = { TLS_CERT_FILE: certs.server, TLS_KEY_FILE: certs.clientKey };
    expect(configErrorOf(() => readServerTls(env)).message).toBe(
      `TLS_CERT_FILE and TLS_KEY_FILE must be a PEM certificate and its private key, got "${certs.server}" and "${certs.clientKey}" (key values mismatch)`,
    );
  });

  it('refuses a client CA file that holds no certificate', () => {
    const env = {
      TLS_CERT_FILE: certs.server,
      TLS_KEY_FILE: certs.serverKey,
      TLS_CLIENT_CA_FILE: certs.serverKey,
    };
    expect(configErrorOf(() => readServerTls(env)).message).toMatch(
      new RegExp(`^TLS_CLIENT_CA_FILE must hold a PEM CA certificate, got "${certs.serverKey}" \\(.+\\)$`),
    );
  });
});

describe('readChannelTls', () => {
  it('is plaintext without <PREFIX>_CA_FILE, TLS with it, and mTLS with a client certificate too', () => {
    expect(readChannelTls({}, 'GREETER')).toBeUndefined();
    expect(readChannelTls({ GREETER_CA_FILE: certs.ca }, 'GREETER')).toEqual({ ca: pem(certs.ca) });
    expect(
      readChannelTls(
        { GREETER_CA_FILE: certs.ca, GREETER_CERT_FILE: certs.client, GREETER_KEY_FILE: certs.clientKey },
        'GREETER',
      ),
    ).toEqual({ ca: pem(certs.ca), cert: pem(certs.client), key: pem(certs.clientKey) });
  });

  it('refuses a client certificate without its key, or without the CA', () => {
    expect(
      configErrorOf(() =>
        readChannelTls({ GREETER_CA_FILE: certs.ca, GREETER_CERT_FILE: certs.client }, 'GREETER'),
      ).message,
    ).toBe('GREETER_CERT_FILE is set, so GREETER_KEY_FILE must be too (a client certificate needs its key)');
    expect(
      configErrorOf(() =>
        readChannelTls({ GREETER_CERT_FILE: certs.client, GREETER_KEY_FILE: certs.clientKey }, 'GREETER'),
      ).message,
    ).toBe('GREETER_CERT_FILE is set, so GREETER_CA_FILE must be too (mTLS is TLS)');
  });

  it('names the variable and the path of a file that does not exist', () => {
    expect(configErrorOf(() => readChannelTls({ GREETER_CA_FILE: '/nope/ca.pem' }, 'GREETER')).message).toBe(
      'GREETER_CA_FILE must be a readable PEM file, got "/nope/ca.pem" (ENOENT: no such file or directory)',
    );
  });
});

/** A Greeter over TLS (mTLS with `clientCa`) on 127.0.0.1:0, logging into a LogSink. */
async function startTlsServer(clientCa?: string) {
  const logs = new LogSink();
  const server: GrpcServer = createServer({
    logger: createLogger({ name: 'tls-test', level: 'info' }, logs),
    services: [{ definition: GreeterService, implementation: createTestGreeter() }],
  });
  const tls = readServerTls({
    TLS_CERT_FILE: certs.server,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: clientCa,
  });
  if (!tls) throw new Error('TLS is off');
  const port = await server.listen('127.0.0.1', 0, tls);
  return { server, logs, target: `127.0.0.1:${port}`, port };
}

/** One SayHello (5 s deadline) through a client made for the occasion, closed afterwards. */
async function callWith(
  target: string,
  creds: ChannelCredentials,
  options: ChannelOptions = SERVER_NAME,
): Promise<Outcome & { ms: number }> {
  const client = new GreeterClient(target, creds, options);
  const started = Date.now();
  try {
    return { ...(await sayHello(client, 'Ada')), ms: Date.now() - started };
  } finally {
    client.close();
  }
}

const trusting = (ca: string, cert?: string, key?: string) =>
  createTlsCredentials({ ca: pem(ca), ...(cert && key ? { cert: pem(cert), key: pem(key) } : {}) });

describe('a TLS server', () => {
  let running: Awaited<ReturnType<typeof startTlsServer>>;

  beforeAll(async () => {
    running = await startTlsServer();
  });

  afterAll(async () => {
    await running?.server.shutdown(500);
  });

  it('answers a client that trusts its CA, and says tls in its serving line', async () => {
    const { reply, error } = await callWith(running.target, trusting(certs.ca));
    expect(error).toBeNull();
    expect(reply).toEqual({ message: 'Hello Ada' });
    expect(running.logs.find('serving')).toEqual([
      expect.objectContaining({ port: running.port, tls: 'tls' }),
    ]);
  });

  it('fails a plaintext client at once with UNAVAILABLE, well before its deadline', async () => {
    const { error, ms } = await callWith(running.target, credentials.createInsecure(), {});
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect(error?.details).toMatch(/^No connection established/);
    expect(ms).toBeLessThan(4_000);
  });

  it('fails a client that expects a name the certificate does not carry, saying so', async () => {
    const { error } = await callWith(running.target, trusting(certs.ca), {
      'grpc.ssl_target_name_override': 'elsewhere.example',
    });
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect(error?.details).toContain("Host: elsewhere.example. is not in the cert's altnames");
  });

  it('fails a client that trusts another CA, saying the certificate cannot be verified', async () => {
    const { error } = await callWith(running.target, trusting(certs.otherCa));
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect(error?.details).toContain('unable to verify the first certificate');
  });

  it('keeps serving after refusing those clients', async () => {
    await callWith(running.target, credentials.createInsecure(), {});
    await callWith(running.target, trusting(certs.otherCa));
    const { reply, error } = await callWith(running.target, trusting(certs.ca));
    expect(error).toBeNull();
    expect(reply).toEqual({ message: 'Hello Ada' });
  });
});

describe('an mTLS server', () => {
  let running: Awaited<ReturnType<typeof startTlsServer>>;

  beforeAll(async () => {
    running = await startTlsServer(certs.ca);
  });

  afterAll(async () => {
    await running?.server.shutdown(500);
  });

  const calls = () => running.logs.find('call');

  it('answers a client whose certificate its client CA signed, and says mtls in its serving line', async () => {
    const { reply, error } = await callWith(
      running.target,
      trusting(certs.ca, certs.client, certs.clientKey),
    );
    expect(error).toBeNull();
    expect(reply).toEqual({ message: 'Hello Ada' });
    expect(running.logs.find('serving')).toEqual([expect.objectContaining({ tls: 'mtls' })]);
  });

  it('refuses a client without a certificate: UNAVAILABLE, certificate required', async () => {
    const before = calls().length;
    const { error } = await callWith(running.target, trusting(certs.ca));
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    expect(error?.details).toContain('alert certificate required');
    expect(calls()).toHaveLength(before);
  });

  it('refuses a client whose certificate another CA signed: UNAVAILABLE, before any call', async () => {
    const before = calls().length;
    const { error, ms } = await callWith(
      running.target,
      trusting(certs.ca, certs.otherClient, certs.otherClientKey),
    );
    expect(error).toMatchObject({ code: status.UNAVAILABLE });
    // TLS 1.3: the client's handshake is over before the server rejects its certificate, so
    // grpc-js only learns that the connection closed.
    expect(error?.details).toMatch(/^No connection established\. Last error: /);
    expect(ms).toBeLessThan(4_000);
    expect(calls()).toHaveLength(before);
  });

  it('keeps serving after refusing those clients', async () => {
    await callWith(running.target, trusting(certs.ca));
    await callWith(running.target, trusting(certs.ca, certs.otherClient, certs.otherClientKey));
    await callWith(running.target, credentials.createInsecure(), {});
    const { reply, error } = await callWith(
      running.target,
      trusting(certs.ca, certs.client, certs.clientKey),
    );
    expect(error).toBeNull();
    expect(reply).toEqual({ message: 'Hello Ada' });
  });

  it('passes the health probe, which presents the server’s own certificate', async () => {
    const result = await runNode(PROBE, [], {
      env: {
        PORT: String(running.port),
        TLS_CERT_FILE: certs.server,
        TLS_KEY_FILE: certs.serverKey,
        TLS_CLIENT_CA_FILE: certs.ca,
      },
    });
    expect(result).toEqual({ exit: 0, stdout: 'SERVING\n', stderr: '' });
  });

  it('fails the health probe when PROBE_SERVER_NAME is not in the certificate', async () => {
    const result = await runNode(PROBE, [], {
      env: {
        PORT: String(running.port),
        TLS_CERT_FILE: certs.server,
        TLS_KEY_FILE: certs.serverKey,
        TLS_CLIENT_CA_FILE: certs.ca,
        PROBE_SERVER_NAME: 'elsewhere.example',
      },
    });
    expect(result.exit).toBe(1);
    expect(result.stdout).toMatch(/^UNAVAILABLE: .*elsewhere\.example/);
  });
});

describe('the health probe of a TLS server without mTLS', () => {
  it('trusts PROBE_CA_FILE', async () => {
    const running = await startTlsServer();
    try {
      const env = { PORT: String(running.port), TLS_CERT_FILE: certs.server, TLS_KEY_FILE: certs.serverKey };
      expect(await runNode(PROBE, [], { env: { ...env, PROBE_CA_FILE: certs.ca } })).toEqual({
        exit: 0,
        stdout: 'SERVING\n',
        stderr: '',
      });
      // Without it, the system's roots, which do not know the dev CA.
      const untrusted = await runNode(PROBE, [], { env });
      expect(untrusted.exit).toBe(1);
      expect(untrusted.stdout).toMatch(/^UNAVAILABLE: /);
    } finally {
      await running.server.shutdown(500);
    }
  });
});
