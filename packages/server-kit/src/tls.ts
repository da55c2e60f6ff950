import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import { reasonOf, type TlsPems } from '@repo/wire';
import { ConfigError, type Env, readEnv as read } from './env';

/** A server's TLS: its certificate (chain) and key, and for mTLS the CA of its clients; PEM. */
export interface ServerTls {
  /** TLS_CERT_FILE: the server's certificate, then any intermediates. */
  cert: Buffer;
  /** TLS_KEY_FILE: the certificate's private key. */
  key: Buffer;
  /** TLS_CLIENT_CA_FILE: when set, every client must present a certificate this CA signed. */
  clientCa?: Buffer;
}

/** What a server's `serving` log line says about its transport. */
export type TlsMode = 'off' | 'tls' | 'mtls';

/**
 * Reads TLS_CERT_FILE and TLS_KEY_FILE (both or neither: neither means plaintext) and
 * TLS_CLIENT_CA_FILE (mTLS), and the files they name, once. Throws ConfigError naming the
 * variable and the path when a file cannot be read or is not usable PEM, or when the key is not
 * the certificate's.
 */
export function readServerTls(env: Env): ServerTls | undefined {
  const certFile = read(env, 'TLS_CERT_FILE');
  const keyFile = read(env, 'TLS_KEY_FILE');
  const clientCaFile = read(env, 'TLS_CLIENT_CA_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [set, unset] =
      certFile === undefined ? ['TLS_KEY_FILE', 'TLS_CERT_FILE'] : ['TLS_CERT_FILE', 'TLS_KEY_FILE'];
    throw new ConfigError(`${set} is set, so ${unset} must be too (TLS needs a certificate and its key)`);
  }
  if (certFile === undefined || keyFile === undefined) {
    if (clientCaFile !== undefined) {
      throw new ConfigError(
        'TLS_CLIENT_CA_FILE is set, so TLS_CERT_FILE and TLS_KEY_FILE must be too (mTLS is TLS)',
      );
    }
    return undefined;
  }
  const pair = { cert: readPem(env, 'TLS_CERT_FILE'), key: readPem(env, 'TLS_KEY_FILE') };
  checkKeyPair(pair, certFile, keyFile);
  return clientCaFile === undefined ? pair : { ...pair, clientCa: readCa(env, 'TLS_CLIENT_CA_FILE') };
}

/**
 * What a client channel uses for TLS, from `<PREFIX>_CA_FILE` (the CA to trust; setting it turns
 * TLS on) and `<PREFIX>_CERT_FILE` with `<PREFIX>_KEY_FILE` (a client certificate, for mTLS;
 * both or neither, and only with the CA). Undefined when none is set: plaintext.
 */
export function readChannelTls(env: Env, prefix: string): TlsPems | undefined {
  const [caVar, certVar, keyVar] = [`${prefix}_CA_FILE`, `${prefix}_CERT_FILE`, `${prefix}_KEY_FILE`];
  const [caFile, certFile, keyFile] = [read(env, caVar), read(env, certVar), read(env, keyVar)];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [set, unset] = certFile === undefined ? [keyVar, certVar] : [certVar, keyVar];
    throw new ConfigError(`${set} is set, so ${unset} must be too (a client certificate needs its key)`);
  }
  if (caFile === undefined) {
    if (certFile !== undefined)
      throw new ConfigError(`${certVar} is set, so ${caVar} must be too (mTLS is TLS)`);
    return undefined;
  }
  const ca = readCa(env, caVar);
  if (certFile === undefined || keyFile === undefined) return { ca };
  const pair = { cert: readPem(env, certVar), key: readPem(env, keyVar) };
  checkKeyPair(pair, certFile, keyFile, [certVar, keyVar]);
  return { ca, ...pair };
}

/** The CA file `env[name]` names, if set: at least one PEM certificate, else a ConfigError. */
export function readCaFile(env: Env, name: string): Buffer | undefined {
  return read(env, name) === undefined ? undefined : readCa(env, name);
}

/** Plaintext without `tls`; TLS with it, and mTLS (client certificates required) with a client CA. */
export function serverCredentialsOf(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
}

export function tlsModeOf(tls: ServerTls | undefined): TlsMode {
  if (!tls) return 'off';
  return tls.clientCa ? 'mtls' : 'tls';
}

/** The contents of the file `env[name]` names; ConfigError naming both when it cannot be read. */
function readPem(env: Env, name: string): Buffer {
  const path = read(env, name) ?? '';
  try {
    return readFileSync(path);
  } catch (err: unknown) {
    throw new ConfigError(`${name} must be a readable PEM file, got "${path}" (${reasonOf(err)})`);
  }
}

function readCa(env: Env, name: string): Buffer {
  const pem = readPem(env, name);
  try {
    new X509Certificate(pem);
  } catch (err: unknown) {
    throw new ConfigError(
      `${name} must hold a PEM CA certificate, got "${read(env, name)}" (${reasonOf(err)})`,
    );
  }
  return pem;
}

/** Fails at start-up, not at the first handshake, when the files are not a certificate and its key. */
function checkKeyPair(
  { cert, key }: { cert: Buffer; key: Buffer },
  certFile: string,
  keyFile: string,
  [certVar, keyVar] = ['TLS_CERT_FILE', 'TLS_KEY_FILE'],
): void {
  try {
    createSecureContext({ cert, key });
  } catch (err: unknown) {
    throw new ConfigError(
      `${certVar} and ${keyVar} must be a PEM certificate and its private key, got "${certFile}" and "${keyFile}" (${reasonOf(err)})`,
    );
  }
}
