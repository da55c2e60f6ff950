import { type ChannelCredentials, type ChannelOptions, credentials, Metadata, status } from '@grpc/grpc-js';
import { HealthClient, HealthCheckResponse_ServingStatus as Serving } from '@repo/proto';
import { createTlsCredentials, isCallError } from '@repo/wire';
import { type Env, readInteger } from './config';
import { readCaFile, readServerTls } from './tls';

/**
 * The container health check of every service image: asks the server in this container
 * (127.0.0.1:$PORT) for its grpc.health.v1 status, and exits 0 if it is SERVING, 1 otherwise,
 * within PROBE_TIMEOUT_MS (default 2000). Written here, so that no grpc_health_probe binary
 * has to be downloaded into the image.
 *
 * It runs with the service's environment, so it speaks TLS when the server does (TLS_CERT_FILE):
 * - it checks the server's certificate against PROBE_CA_FILE, else TLS_CLIENT_CA_FILE (in the
 *   usual setup one CA signs servers and clients), else the system's roots;
 * - for the name PROBE_SERVER_NAME (default `localhost`), which the certificate must carry: it
 *   connects to 127.0.0.1, not to the name the certificate was issued for
 *   (`grpc.ssl_target_name_override`);
 * - under mTLS (TLS_CLIENT_CA_FILE) it presents the server's own certificate and key as its
 *   client certificate, so that certificate must allow client authentication (no extended key
 *   usage, or `clientAuth` as well as `serverAuth`: scripts/dev-certs.sh makes it so).
 */
async function probe(): Promise<number> {
  const env = process.env;
  const port = readInteger(env, 'PORT', { fallback: 50051, min: 1, max: 65_535 });
  const timeoutMs = readInteger(env, 'PROBE_TIMEOUT_MS', { fallback: 2_000, min: 1, max: 60_000 });
  const channel = channelOf(env);
  const health = new HealthClient(`127.0.0.1:${port}`, channel.credentials, channel.options);
  try {
    const serving = await new Promise<Serving>((resolve, reject) => {
      health.check({ service: '' }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) =>
        err ? reject(err) : resolve(reply.status),
      );
    });
    process.stdout.write(`${Serving[serving] ?? serving}\n`);
    return serving === Serving.SERVING ? 0 : 1;
  } catch (err: unknown) {
    process.stdout.write(`${messageOf(err)}\n`);
    return 1;
  } finally {
    health.close();
  }
}

/** `UNAVAILABLE: <details>` for a failed call; the message of anything else. */
function messageOf(err: unknown): string {
  if (isCallError(err)) return `${status[err.code]}: ${err.details}`;
  return err instanceof Error ? err.message : String(err);
}

function channelOf(env: Env): { credentials: ChannelCredentials; options: ChannelOptions } {
  const tls = readServerTls(env);
  if (!tls) return { credentials: credentials.createInsecure(), options: {} };
  const serverName = env.PROBE_SERVER_NAME?.trim() || 'localhost';
  const ca = readCaFile(env, 'PROBE_CA_FILE') ?? tls.clientCa;
  return {
    credentials: createTlsCredentials({ ca, ...(tls.clientCa ? { cert: tls.cert, key: tls.key } : {}) }),
    options: { 'grpc.ssl_target_name_override': serverName },
  };
}

probe().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bad PORT, PROBE_TIMEOUT_MS or TLS file: say which, and report unhealthy.
    process.stdout.write(`${messageOf(err)}\n`);
    process.exitCode = 1;
  },
);
