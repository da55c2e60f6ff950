import { describeError, HealthClient } from '@repo/client-kit';
import { readInteger } from './config';

/**
 * The container health check of every service image: asks the server in this container
 * (127.0.0.1:$PORT) for its grpc.health.v1 status, and exits 0 if it is SERVING, 1 otherwise,
 * within PROBE_TIMEOUT_MS (default 2000). Written here, so that no grpc_health_probe binary
 * has to be downloaded into the image.
 */
async function probe(): Promise<number> {
  const port = readInteger(process.env, 'PORT', { fallback: 50051, min: 1, max: 65_535 });
  const timeoutMs = readInteger(process.env, 'PROBE_TIMEOUT_MS', { fallback: 2_000, min: 1, max: 60_000 });
  const health = new HealthClient(`127.0.0.1:${port}`);
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

probe().then((code) => {
  process.exitCode = code;
});
