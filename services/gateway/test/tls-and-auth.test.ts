import { readFileSync } from 'node:fs';
import { type ClientHttp2Session, connect } from 'node:http2';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { GreeterClient, HealthClient as GrpcHealthClient } from '@repo/proto';
import { createDevCerts, type DevCerts, type ServiceProcess, spawnService } from '@repo/test-kit';
import { errorDetailsOf } from '@repo/wire';
import { GATEWAY_MAIN } from './support/stack';

// The gateway with the variables every service takes: TLS_CERT_FILE and TLS_KEY_FILE (ALPN picks
// HTTP/2 or HTTP/1.1 on the one port) and AUTH_TOKEN (every call but health needs the token).
const TOKEN = 'a-long-random-gateway-token';

let certs: DevCerts;
let greeter: ServiceProcess;
let stream: ServiceProcess;
let gateway: ServiceProcess;
let ca: Buffer;

beforeAll(async () => {
  certs = await createDevCerts();
  ca = readFileSync(certs.ca);
  greeter = await spawnService(require.resolve('@repo/greeter/main'));
  stream = await spawnService(require.resolve('@repo/stream/main'), { GREETER_ADDR: greeter.target });
  gateway = await spawnService(GATEWAY_MAIN, {
    GREETER_ADDR: greeter.target,
    STREAM_ADDR: stream.target,
    TLS_CERT_FILE: certs.server,
    TLS_KEY_FILE: certs.serverKey,
    AUTH_TOKEN: TOKEN,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await stream?.stop();
  await greeter?.stop();
  await certs?.remove();
});

/** POST `body` as Connect JSON over HTTPS/1.1 (node:https offers no ALPN), trusting the dev CA. */
function postHttp1(path: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        servername: 'localhost',
        ca,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const alpn = (res.socket as TLSSocket).alpnProtocol;
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, alpn }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The same over HTTP/2 with TLS (ALPN: h2). */
async function postHttp2(path: string, body: string, headers: Record<string, string> = {}) {
  const session: ClientHttp2Session = connect(`https://localhost:${gateway.port}`, { ca });
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/json',
      ...headers,
    });
    req.end(body);
    const status = await new Promise<number>((resolve, reject) => {
      req.once('response', (headers) => resolve(Number(headers[':status'])));
      req.once('error', reject);
    });
    let text = '';
    req.setEncoding('utf8');
    for await (const chunk of req) text += chunk;
    return { status, body: text, alpn: session.alpnProtocol };
  } finally {
    session.close();
  }
}

describe('the gateway with TLS and AUTH_TOKEN', () => {
  const authorization = `Bearer ${TOKEN}`;

  it('says it serves TLS, and answers Connect JSON over HTTP/1.1 and HTTP/2 with the token', async () => {
    expect(gateway.logs.find((line) => line.msg === 'serving')).toMatchObject({ tls: 'tls' });
    const one = await postHttp1('/helloworld.Greeter/SayHello', '{"name":"Ada"}', { authorization });
    expect(one).toEqual({ status: 200, body: '{"message":"Hello Ada"}', alpn: false });
    const two = await postHttp2('/helloworld.Greeter/SayHello', '{"name":"Grace"}', { authorization });
    expect(two).toEqual({ status: 200, body: '{"message":"Hello Grace"}', alpn: 'h2' });
  });

  it('refuses a call without the token, or with another, as unauthenticated (HTTP 401)', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token' }];
    for (const headers of attempts) {
      const refused = await postHttp1('/helloworld.Greeter/SayHello', '{"name":"Ada"}', headers);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({
        code: 'unauthenticated',
        details: [
          { type: 'google.rpc.ErrorInfo', debug: { reason: 'TOKEN_INVALID', domain: 'helloworld.Greeter' } },
        ],
      });
    }
  });

  it('serves gRPC over TLS to a grpc-js client, health without the token, details with a refusal', async () => {
    const tls = credentials.createSsl(ca);
    const options = { 'grpc.ssl_target_name_override': 'localhost' };
    const client = new GreeterClient(`127.0.0.1:${gateway.port}`, tls, options);
    const health = new GrpcHealthClient(`127.0.0.1:${gateway.port}`, tls, options);
    try {
      const metadata = new Metadata();
      metadata.set('authorization', authorization);
      const reply = await new Promise((resolve, reject) =>
        client.sayHello({ name: 'Linus' }, metadata, { deadline: Date.now() + 5_000 }, (err, r) =>
          err ? reject(err) : resolve(r),
        ),
      );
      expect(reply).toMatchObject({ message: 'Hello Linus' });
      // Without the token: UNAUTHENTICATED, its ErrorInfo in grpc-status-details-bin.
      const refused = await new Promise((resolve) =>
        client.sayHello({ name: 'Linus' }, new Metadata(), { deadline: Date.now() + 5_000 }, (err) =>
          resolve(err),
        ),
      );
      expect(refused).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(errorDetailsOf(refused)?.errorInfo).toMatchObject({
        reason: 'TOKEN_INVALID',
        domain: 'helloworld.Greeter',
      });
      const checked = await new Promise((resolve, reject) =>
        health.check({ service: '' }, new Metadata(), { deadline: Date.now() + 5_000 }, (err, r) =>
          err ? reject(err) : resolve(r),
        ),
      );
      expect(checked).toMatchObject({ status: 1 });
    } finally {
      client.close();
      health.close();
    }
  });
});
