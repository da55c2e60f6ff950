import { flushCompileCache } from 'node:module';
import { startTelemetry, type Telemetry } from '@repo/telemetry';
import type { ServerConfig } from './config';
import { createLogger, flushLogs, type Logger } from './logger';
import type { ServerTls } from './tls';

/**
 * What runServer runs: GrpcServer, or another server with the same life (the gateway's HTTP
 * server). `listen` logs the `serving` line with the bound port.
 */
export interface RunnableServer {
  /** Binds on `host:port` (0: a free port) and resolves with the bound port. */
  listen(host: string, port: number, tls?: ServerTls): Promise<number>;
  /** Serves health alone, in plaintext, on a second port (HEALTH_PORT). */
  listenHealth(host: string, port: number): Promise<number>;
  /** Graceful shutdown within `graceMs`; the same promise on every call. */
  shutdown(graceMs: number): Promise<void>;
  /** Ends every call and closes at once. */
  forceShutdown(): void;
}

export interface RunOptions<C extends ServerConfig> {
  /** Service name for the logs. */
  name: string;
  /** Parses the environment; throws ConfigError on a bad value. */
  readConfig: () => C;
  /** Pass `telemetry` on to createServer (and to the service's own clients). */
  create: (config: C, logger: Logger, telemetry: Telemetry) => RunnableServer;
}

/**
 * The whole life of a service process: read the configuration (a bad value stops start-up
 * with a message naming it, exit code 2), start OpenTelemetry (the OTEL_* variables, and
 * `/metrics` on METRICS_PORT), create the server, listen, and on SIGTERM/SIGINT shut down
 * gracefully, export what telemetry is buffered, and exit 0. A second signal cancels everything
 * at once.
 */
export async function runServer<C extends ServerConfig>({
  name,
  readConfig,
  create,
}: RunOptions<C>): Promise<void> {
  let config: C;
  try {
    config = readConfig();
  } catch (err: unknown) {
    process.stderr.write(
      `${name}: invalid configuration: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(2);
  }
  let telemetry: Telemetry;
  try {
    telemetry = await startTelemetry({
      serviceName: name,
      metricsPort: config.metricsPort,
      metricsHost: config.host,
    });
  } catch (err: unknown) {
    const logger = createLogger({ name, level: config.logLevel });
    logger.fatal({ err }, 'cannot start');
    return exit(logger, 1);
  }
  const logger = createLogger({ name, level: config.logLevel, traceContext: telemetry.tracer !== undefined });
  const server = create(config, logger, telemetry);
  // Every module start-up needs is loaded: into Node's compile cache for the next start (see
  // compile-cache.ts; a no-op when it is off, ~0.2 ms when nothing is new).
  flushCompileCache();

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, cancelling every call now');
      server.forceShutdown();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    server
      .shutdown(config.shutdownGraceMs)
      .then(() => telemetry.shutdown())
      .then(
        () => exit(logger, 0),
        (err: unknown) => {
          logger.fatal({ err }, 'shutdown failed');
          exit(logger, 1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await server.listen(config.host, config.port, config.tls);
    if (config.healthPort > 0) await server.listenHealth(config.host, config.healthPort);
    if (telemetry.metricsPort !== undefined) {
      logger.info({ host: config.host, port: telemetry.metricsPort, path: '/metrics' }, 'metrics');
    }
  } catch (err: unknown) {
    logger.fatal({ err }, 'cannot start');
    exit(logger, 1);
  }
}

/** Exits once the log lines written so far are out (they are written asynchronously). */
function exit(logger: Logger, code: number): void {
  flushLogs(logger, () => process.exit(code));
}
