import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { COMPRESSIONS, type Compression, isCompression } from './compression';
import { describeError, describeErrorDetails } from './errors';

/** A mistake in the command line: printed with a hint to run --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a CLI's main function: on failure prints one line to stderr (`greeter: UNAVAILABLE: ...`),
 * then the error's details indented, one per line (`  name: must not be empty`, `  reason:
 * NAME_EMPTY`: see describeErrorDetails), and exits 1 (2 for a usage error); on success exits 0
 * once the output has been flushed.
 */
export function runCli(program: string, main: (argv: string[]) => Promise<void>): void {
  // `greeter --help | head -1` closes stdout early: that is the reader's choice, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      if (isUsageError(err)) {
        process.stderr.write(`${program}: ${err.message}\nRun '${program} --help' for usage.\n`);
        process.exitCode = 2;
      } else {
        const details = describeErrorDetails(err).map((line) => `  ${line}\n`);
        process.stderr.write(`${program}: ${describeError(err)}\n${details.join('')}`);
        process.exitCode = 1;
      }
    },
  );
}

/** Ours, or one of `util.parseArgs` (an unknown option, a flag without its value). */
function isUsageError(err: unknown): err is Error {
  if (err instanceof UsageError) return true;
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Parses a non-negative integer flag value, or throws a UsageError naming the flag. */
export function parseCount(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed))
    throw new UsageError(`--${flag} must be a non-negative integer, got "${value}"`);
  return parsed;
}

/** Flags every CLI here takes, in `util.parseArgs` form. */
export const COMMON_FLAGS = {
  target: { type: 'string', short: 't' },
  'timeout-ms': { type: 'string' },
  'request-id': { type: 'string' },
  token: { type: 'string' },
  compress: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  trace: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const COMMON_HELP = `  -t, --target <target>    server address: host:port or dns:///host:port
      --timeout-ms <ms>     deadline of each call (default: 10000 for a unary call, none
                            for a stream)
      --request-id <id>     x-request-id to send (default: the server makes one)
      --token <token>       bearer token for a server started with AUTH_TOKEN
                            (default: $GRPC_TOKEN; the variable keeps it out of ps)
      --compress <encoding> compress requests: gzip, deflate or identity (none)
                            (default: $GRPC_COMPRESSION, else identity)
      --ca <file>           use TLS, trusting this CA (PEM) (default: $GRPC_CA_FILE)
      --cert <file>         use TLS, presenting this client certificate (PEM) for mTLS
                            (default: $GRPC_CERT_FILE); needs --key
      --key <file>          the client certificate's private key (default: $GRPC_KEY_FILE)
      --json                print one JSON object per result
      --trace               start a trace and print its id on stderr: the services' spans
                            join it (OTEL_EXPORTER_OTLP_ENDPOINT exports this CLI's own)
  -h, --help               show this help`;

/**
 * Runs a command inside a span named after it, so that every call it makes is one trace; with
 * `printTraceId`, the trace id goes to stderr first, for a person to look the trace up by.
 * Without a tracer, just runs it.
 */
export function traceCommand<T>(
  tracer: Tracer | undefined,
  name: string,
  printTraceId: boolean,
  run: () => Promise<T>,
): Promise<T> {
  if (!tracer) return run();
  return tracer.startActiveSpan(name, async (span) => {
    if (printTraceId) process.stderr.write(`trace id ${span.spanContext().traceId}\n`);
    try {
      return await run();
    } catch (err: unknown) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The deadline of a unary call from a CLI when `--timeout-ms` does not set one. */
export const UNARY_TIMEOUT_MS = 10_000;

/**
 * The CallOptions the common flags describe; the token defaults to GRPC_TOKEN in `env`. Without
 * `--timeout-ms`, the deadline is `defaultTimeoutMs`: UNARY_TIMEOUT_MS for unary calls, none for
 * a stream (a person streaming 200,000 messages expects it to run until it ends, or until Ctrl-C).
 */
export function commonCallOptions(
  values: { 'timeout-ms'?: string; 'request-id'?: string; token?: string },
  defaultTimeoutMs: number | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): {
  timeoutMs?: number;
  requestId?: string;
  token?: string;
} {
  const given = values['timeout-ms'];
  const timeoutMs = given === undefined ? defaultTimeoutMs : parseCount('timeout-ms', given, 0);
  const requestId = values['request-id'];
  const token = values.token ?? (env.GRPC_TOKEN || undefined);
  return {
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(token ? { token } : {}),
  };
}

/**
 * The request compression `--compress` asks for, else GRPC_COMPRESSION in `env`; undefined for
 * neither. Throws a UsageError naming the flag or the variable for an encoding grpc-js lacks.
 */
export function commonCompression(
  values: { compress?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Compression | undefined {
  const [source, value] =
    values.compress !== undefined
      ? ['--compress', values.compress]
      : ['GRPC_COMPRESSION', env.GRPC_COMPRESSION];
  if (value === undefined || value === '') return undefined;
  if (!isCompression(value)) {
    throw new UsageError(`${source} must be one of ${COMPRESSIONS.join(', ')}, got "${value}"`);
  }
  return value;
}
