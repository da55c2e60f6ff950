import type { GreeterServer } from '@repo/proto';
import { GreeterService } from '@repo/proto';
import { createLogger, createServer, readServerTls } from '@repo/server-kit';
import { createDevCerts, type DevCerts, LogSink, listenLocal, type Running } from '@repo/test-kit';
import { runCli } from './support/cli';

let certs: DevCerts;
let tlsServer: Running;
let mtlsServer: Running;

const greeter: GreeterServer = {
  sayHello: (call, callback) => callback(null, { message: `Hello ${call.request.name}` }),
};

/** A Greeter on 127.0.0.1:0 with the dev server certificate; mTLS when `clientCa` is given. */
async function startGreeter(clientCa?: string): Promise<Running> {
  const server = createServer({
    logger: createLogger({ name: 'tls-greeter', level: 'info' }, new LogSink()),
    services: [{ definition: GreeterService, implementation: greeter }],
  });
  const tls = readServerTls({
    TLS_CERT_FILE: certs.server,
    TLS_KEY_FILE: certs.serverKey,
    TLS_CLIENT_CA_FILE: clientCa,
  });
  return listenLocal(server, 1_000, tls);
}

// `localhost`, the name in the certificate: with an IP address as the target, grpc-js sends it
// as the TLS server name and Node prints a deprecation warning (DEP0123) on stderr.
const target = (running: Running) => `localhost:${running.port}`;

beforeAll(async () => {
  certs = await createDevCerts();
  tlsServer = await startGreeter();
  mtlsServer = await startGreeter(certs.ca);
});

afterAll(async () => {
  await tlsServer?.stop();
  await mtlsServer?.stop();
  await certs?.remove();
});

describe('greeter CLI over TLS', () => {
  it('calls a TLS server with --ca', async () => {
    const result = await runCli(['hello', 'Ada', '--ca', certs.ca, '--target', target(tlsServer)]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Hello Ada {2}\(served by /);
    expect(result.exit).toBe(0);
  });

  it('calls an mTLS server with --ca, --cert and --key', async () => {
    const result = await runCli([
      'hello',
      'Ada',
      ...['--ca', certs.ca, '--cert', certs.client, '--key', certs.clientKey],
      ...['--target', target(mtlsServer)],
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Hello Ada {2}\(served by /);
    expect(result.exit).toBe(0);
  });

  it('takes the files from GRPC_CA_FILE, GRPC_CERT_FILE and GRPC_KEY_FILE', async () => {
    const result = await runCli(['hello', 'Env'], {
      env: {
        GREETER_ADDR: target(mtlsServer),
        GRPC_CA_FILE: certs.ca,
        GRPC_CERT_FILE: certs.client,
        GRPC_KEY_FILE: certs.clientKey,
      },
    });
    expect(result.stdout).toMatch(/^Hello Env {2}\(served by /);
    expect(result.exit).toBe(0);
  });

  it('exits 1 with UNAVAILABLE when an mTLS server refuses a client without a certificate', async () => {
    const result = await runCli(['hello', 'Ada', '--ca', certs.ca, '--target', target(mtlsServer)]);
    expect(result.exit).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^greeter: UNAVAILABLE: [^\n]*alert certificate required[^\n]*\n$/);
  });

  it('exits 1 with UNAVAILABLE when plaintext meets a TLS server', async () => {
    const result = await runCli(['hello', 'Ada', '--timeout-ms', '5000', '--target', target(tlsServer)]);
    expect(result.exit).toBe(1);
    expect(result.stderr).toMatch(/^greeter: UNAVAILABLE: [^\n]+\n$/);
  });

  it('exits 2 naming --ca and the path when the file does not exist', async () => {
    const missing = `${certs.dir}/missing.pem`;
    const result = await runCli(['hello', '--ca', missing, '--target', target(tlsServer)]);
    expect(result).toEqual({
      exit: 2,
      stdout: '',
      stderr: `greeter: --ca: cannot read "${missing}" (ENOENT: no such file or directory)\nRun 'greeter --help' for usage.\n`,
    });
  });

  it('lists --ca, --cert and --key in --help', async () => {
    const { stdout } = await runCli(['--help']);
    expect(stdout).toContain('--ca <file>');
    expect(stdout).toContain('--cert <file>');
    expect(stdout).toContain('--key <file>');
  });
});
