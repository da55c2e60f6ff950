import { status } from '@grpc/grpc-js';
import { ConfigError, createLogger, type GrpcServer, readServerTls } from '@repo/server-kit';
import { StreamClient } from '@repo/stream-client';
import { createDevCerts, type DevCerts, drain, LogSink, listenLocal } from '@repo/test-kit';
import { readConfig } from '../src/config';
import { createStreamServer } from '../src/server';
import { serveTestGreeter, type TestGreeter } from './support/test-greeter';

let certs: DevCerts;
/** A test Greeter, served as the Greeter's TLS_* settings serve it: client certificates signed by the dev CA required. */
let greeter: TestGreeter;

beforeAll(async () => {
  certs = await createDevCerts();
  const tls = readServerTls({
    TLS_CERT_FILE: certs.server,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: certs.ca,
  });
  greeter = await serveTestGreeter({ tls });
});

afterAll(async () => {
  await greeter?.running.stop();
  await certs?.remove();
});

/** The stream service configured from `env` (GREETER_*), on 127.0.0.1:0, and a client of it. */
async function startStream(env: Record<string, string>) {
  // `localhost`: the name in the Greeter's certificate.
  const config = readConfig({ GREETER_ADDR: `localhost:${greeter.running.port}`, ...env });
  const server: GrpcServer = createStreamServer({
    logger: createLogger({ name: 'stream', level: 'info' }, new LogSink()),
    greeterAddr: config.greeterAddr,
    greeterTls: config.greeterTls,
  });
  const running = await listenLocal(server);
  const client = new StreamClient({ target: running.target });
  return {
    client,
    async stop() {
      client.close();
      await running.stop();
    },
  };
}

describe('the stream service, calling a Greeter that requires mTLS', () => {
  it('greets through it with GREETER_CA_FILE, GREETER_CERT_FILE and GREETER_KEY_FILE', async () => {
    const stream = await startStream({
      GREETER_CA_FILE: certs.ca,
      GREETER_CERT_FILE: certs.client,
      GREETER_KEY_FILE: certs.clientKey,
    });
    try {
      const { received, error } = await drain(
        stream.client.allStream(['Ada', 'Grace'], { timeoutMs: 5_000 }),
      );
      expect(error).toBeUndefined();
      expect(received.map(({ message }) => message)).toEqual(['Hello Ada', 'Hello Grace']);
    } finally {
      await stream.stop();
    }
  });

  it('answers UNAVAILABLE, naming the Greeter, without a client certificate', async () => {
    const stream = await startStream({ GREETER_CA_FILE: certs.ca });
    try {
      const { error } = await drain(stream.client.allStream(['Ada'], { timeoutMs: 5_000 }));
      expect(error).toMatchObject({ code: status.UNAVAILABLE });
      expect((error as { details: string }).details).toMatch(
        new RegExp(
          `^greeter unavailable at localhost:${greeter.running.port}: .*alert certificate required`,
          's',
        ),
      );
    } finally {
      await stream.stop();
    }
  });

  it('refuses to start with GREETER_CERT_FILE but no GREETER_KEY_FILE', () => {
    expect(() => readConfig({ GREETER_CA_FILE: certs.ca, GREETER_CERT_FILE: certs.client })).toThrow(
      new ConfigError(
        'GREETER_CERT_FILE is set, so GREETER_KEY_FILE must be too (a client certificate needs its key)',
      ),
    );
  });
});
