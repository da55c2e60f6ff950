import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';

/** What a TLS channel is made of, as PEM. */
export interface TlsPems {
  /** The CA (or CAs) to trust; without it, the system's roots (as grpc-js finds them). */
  ca?: Buffer;
  /** A client certificate (chain), for servers that ask for one (mTLS); needs `key`. */
  cert?: Buffer;
  /** The client certificate's private key; needs `cert`. */
  key?: Buffer;
}

/**
 * TLS channel credentials (pass them as `credentials` to a client): trust `ca`, and present
 * `cert`/`key` when the server asks (mTLS). The server's certificate must name the host of the
 * target (or the channel's `grpc.ssl_target_name_override`). Throws an Error, at once rather than
 * at the first call, when `cert` and `key` do not come together or are not a PEM certificate and
 * its key, or `ca` holds no PEM certificate.
 */
export function createTlsCredentials({ ca, cert, key }: TlsPems): ChannelCredentials {
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (err: unknown) {
      throw new Error(`the CA is not a PEM certificate (${reasonOf(err)})`);
    }
  }
  try {
    return credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
  } catch (err: unknown) {
    throw new Error(`the client certificate and key are not usable (${reasonOf(err)})`);
  }
}

/** A file's contents; the Error says which file and why (`cannot read "ca.pem" (ENOENT: ...)`). */
export function readPemFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new Error(`cannot read "${path}" (${reasonOf(err)})`);
  }
}

/**
 * Why a TLS file failed, in short: OpenSSL's reason without its code (`key values mismatch`,
 * `no start line`), or Node's file error without the path it repeats (`ENOENT: no such file or
 * directory`, from "..., open 'ca.pem'").
 */
export function reasonOf(err: unknown): string {
  return messageOf(err)
    .replace(/^error:[0-9A-F]+:[^:]*::/, '')
    .replace(/, \w+ '.*'$/, '');
}

/** Not `instanceof Error`: errors from Node's own modules fail that test under jest's sandbox. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
