import type { ChannelCredentials } from '@grpc/grpc-js';
import { createTlsCredentials, readPemFile } from '@repo/wire';
import { UsageError } from './cli';

type Env = Readonly<Record<string, string | undefined>>;

const SOURCES = {
  ca: 'GRPC_CA_FILE',
  cert: 'GRPC_CERT_FILE',
  key: 'GRPC_KEY_FILE',
} as const;

type Flag = keyof typeof SOURCES;

/** Where a file came from (`--ca`, or `GRPC_CA_FILE`), for the messages. */
interface Source {
  label: string;
  path: string;
}

/**
 * The channel credentials the common flags `--ca`, `--cert` and `--key` describe, each
 * defaulting to its environment variable (GRPC_CA_FILE, GRPC_CERT_FILE, GRPC_KEY_FILE):
 * undefined (plaintext) when none is given, else TLS trusting the CA (the system's roots without
 * one), presenting the client certificate when given (mTLS). Reads the files now; throws a
 * UsageError naming the flag or variable for a file that cannot be read or used, or a
 * certificate without its key.
 */
export function commonCredentials(
  values: { [F in Flag]?: string | undefined },
  env: Env = process.env,
): ChannelCredentials | undefined {
  const source = (flag: Flag): Source | undefined => {
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return { label: `--${flag}`, path: fromFlag };
    const fromEnv = env[SOURCES[flag]]?.trim();
    return fromEnv ? { label: SOURCES[flag], path: fromEnv } : undefined;
  };
  const [ca, cert, key] = [source('ca'), source('cert'), source('key')];
  if (!ca && !cert && !key) return undefined;
  if (cert && !key)
    throw new UsageError(`${cert.label} needs --key (or ${SOURCES.key}): the certificate's key`);
  if (key && !cert)
    throw new UsageError(`${key.label} needs --cert (or ${SOURCES.cert}): the key's certificate`);

  const load = (file: Source | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readPemFile(file.path);
    } catch (err: unknown) {
      throw new UsageError(`${file.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const pems = { ca: load(ca), cert: load(cert), key: load(key) };
  try {
    return createTlsCredentials(pems);
  } catch (err: unknown) {
    const labels = [ca, cert, key].flatMap((file) => (file ? [`${file.label} ${file.path}`] : []));
    throw new UsageError(`${labels.join(', ')}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
