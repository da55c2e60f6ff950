import { readFileSync } from 'node:fs';
import { credentials, status } from '@grpc/grpc-js';
import { createTlsCredentials, HealthClient } from '@repo/client-kit';
import { GreeterClient, GreeterService } from '@repo/proto';
import { createDevCerts, type DevCerts, LogSink } from '@repo/test-kit';
import { createLogger, createServer, type GrpcServer, readServerTls } from '../src';
import { type Greeter, sayHello } from './support/calls';
import { createTestGreeter } from './support/test-services';

/** The name the TLS client checks the server's certificate for (the target is an IP). */
const SERVER_NAME = { 'grpc.ssl_target_name_override': 'localhost' };

describe('HEALTH_PORT: health alone, in plaintext, beside a TLS port', () => {
  let certs: DevCerts;
  let server: GrpcServer;
  let tlsGreeter: Greeter;
  let plainGreeter: Greeter;
  let health: HealthClient;
  let started: () => void = () => {};

  beforeAll(async () => {
    certs = await createDevCerts();
    const tls = readServerTls({ TLS_CERT_FILE: certs.server, TLS_KEY_FILE: certs.serverKey });
    server = createServer({
      logger: createLogger({ name: 'test', level: 'info' }, new LogSink()),
      services: [
        { definition: GreeterService, implementation: createTestGreeter({ started: () => started() }) },
      ],
    });
    const port = await server.listen('127.0.0.1', 0, tls);
    const healthPort = await server.listenHealth('127.0.0.1', 0);
    const ca = createTlsCredentials({ ca: readFileSync(certs.ca) });
    tlsGreeter = new GreeterClient(`127.0.0.1:${port}`, ca, SERVER_NAME);
    plainGreeter = new GreeterClient(`127.0.0.1:${healthPort}`, credentials.createInsecure());
    health = new HealthClient(`127.0.0.1:${healthPort}`);
  });

  afterAll(async () => {
    tlsGreeter.close();
    plainGreeter.close();
    health.close();
    await server.shutdown(1_000);
    await certs?.remove();
  });

  it('answers health checks in plaintext with the main port’s statuses', async () => {
    expect(await health.check()).toBe('SERVING');
    expect(await health.check('helloworld.Greeter')).toBe('SERVING');
    expect((await sayHello(tlsGreeter, 'Ada')).reply?.message).toBe('Hello Ada');
  });

  it('serves nothing else: a call to the service on the health port is UNIMPLEMENTED', async () => {
    expect((await sayHello(plainGreeter, 'Ada')).error?.code).toBe(status.UNIMPLEMENTED);
  });

  it('says NOT_SERVING while the server drains, and closes after it', async () => {
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = sayHello(tlsGreeter, 'slow');
    await inFlight;
    const shutdown = server.shutdown(5_000);

    expect(await health.check()).toBe('NOT_SERVING');
    expect((await slow).reply?.message).toBe('Hello, eventually');
    await shutdown;
    await expect(health.check('', { timeoutMs: 1_000 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});
