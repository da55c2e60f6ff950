import {
  createTlsCredentials,
  describeError,
  HealthClient,
  type HealthClientOptions,
} from '@repo/client-kit';
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
  const health = new HealthClient(`127.0.0.1:${port}`, channelOf(env));
  try {
    const status = await health.check('', { timeoutMs });
    process.stdout.write(`${status}\n`);
    return status === 'SERVING' ? 0 : 1;
  } catch (err: unknown) {
    process.stdout.write(`${describeError(err)}\n`);
    return 1;
  } finally {
    health.close();
  }
}

function channelOf(env: Env): HealthClientOptions {
  const tls = readServerTls(env);
  if (!tls) return {};
  const serverName = env.PROBE_SERVER_NAME?.trim() || 'localhost';
  const ca = readCaFile(env, 'PROBE_CA_FILE') ?? tls.clientCa;
  return {
    credentials: createTlsCredentials({ ca, ...(tls.clientCa ? { cert: tls.cert, key: tls.key } : {}) }),
    channelOptions: { 'grpc.ssl_target_name_override': serverName },
  };
}

probe().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bad PORT, PROBE_TIMEOUT_MS or TLS file: say which, and report unhealthy.
    process.stdout.write(`${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
