import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readConfig as readGatewayConfig } from '@repo/gateway/config';
import { readConfig as readGreeterConfig } from '@repo/greeter/config';
import { readConfig as readStreamConfig } from '@repo/stream/config';

export interface ServiceConfig {
  port: number;
  metricsPort: number;
  /** HEALTH_PORT (server-kit's readServerConfig): the plaintext health-only port; 0: none. */
  healthPort?: number;
  shutdownGraceMs: number;
  greeterAddr?: string;
}

export type Reader = (env: Record<string, string | undefined>) => ServiceConfig;

/** Each service's own parser of its environment (its config.ts), by Deployment name. */
export const READERS: Record<string, Reader> = {
  greeter: readGreeterConfig,
  stream: readStreamConfig,
  gateway: readGatewayConfig,
  // turbo gen service: readers above this line (docs/adding-a-service.md)
};

/**
 * What a Deployment's PORT is, the name of that containerPort: `grpc` for a gRPC service; `http`
 * for one whose port is also HTTP/1.1, for browsers and curl (the gateway: Connect, gRPC-Web
 * and gRPC, the web page, GET /healthz and /readyz). An `http` service is probed over HTTP
 * (checkProbes), a `grpc` one with the kubelet's gRPC probe.
 */
export type PortName = 'grpc' | 'http';
const HTTP_SERVICES: ReadonlySet<string> = new Set(['gateway']);

export function portNameOf(deployment: string): PortName {
  return HTTP_SERVICES.has(deployment) ? 'http' : 'grpc';
}

/**
 * The backends the workloads call, by the variable that addresses them: each is a headless
 * Service of that name, and every <NAME>_ADDR is dns:///<name>.<namespace>.svc.cluster.local:<its
 * grpc port> (checkAddresses), so that grpc-js balances calls, not connections, over its pods.
 */
export const BACKENDS: Record<string, string> = {
  GREETER_ADDR: 'greeter',
  STREAM_ADDR: 'stream',
};

/**
 * Variables that name a PEM file: the servers' TLS_CERT_FILE, TLS_KEY_FILE and
 * TLS_CLIENT_CA_FILE, the stream service's and the gateway's GREETER_CA_FILE, GREETER_CERT_FILE
 * and GREETER_KEY_FILE, the gateway's STREAM_CA_FILE, STREAM_CERT_FILE and STREAM_KEY_FILE, the
 * CLIs' GRPC_CA_FILE, GRPC_CERT_FILE and GRPC_KEY_FILE.
 */
export const FILE_VARIABLE = /^(TLS|GREETER|STREAM|GRPC)_[A-Z0-9_]*FILE$/;

/**
 * A service's parser run on a container's environment (environmentOf). The parser reads the
 * files the TLS variables name, at parse time (server-kit's readServerTls and readChannelTls),
 * and they are a Secret's keys, there only in the pod. Here each such path is replaced by a
 * development certificate of the same role, made once by scripts/dev-certs.sh (openssl) and
 * written to a temporary directory for the parse: *_CA_FILE the CA, *_CERT_FILE and *_KEY_FILE
 * a certificate it signed (serverAuth and clientAuth) and its key. So the parser still judges which variables go together (a
 * certificate without its key, a client CA without TLS, a client certificate without a CA),
 * and checkTls judges the paths themselves (inside a volume the container mounts, a key of the
 * Secret). What the user's Secret holds cannot be known without the cluster: a service given a
 * bad one refuses to start and says which variable and file.
 */
export function readServiceConfig(read: Reader, env: Record<string, string>): ServiceConfig {
  const files = Object.keys(env).filter((name) => FILE_VARIABLE.test(name) && env[name]?.trim());
  if (files.length === 0) return read(env);
  // Written for this one parse and removed after it, so that nothing is left behind even when a
  // test runner kills its worker processes.
  const dir = mkdtempSync(join(tmpdir(), 'deploy-certs-'));
  try {
    for (const [name, pem] of Object.entries(devCertificates())) writeFileSync(join(dir, name), pem);
    const stand = (name: string): string => {
      if (name.endsWith('_CA_FILE')) return join(dir, 'ca.pem');
      if (name.endsWith('_KEY_FILE')) return join(dir, 'server-key.pem');
      if (name.endsWith('_CERT_FILE')) return join(dir, 'server.pem');
      return env[name] ?? '';
    };
    return read({ ...env, ...Object.fromEntries(files.map((name) => [name, stand(name)])) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let certificates: Record<string, Buffer> | undefined;

/** scripts/dev-certs.sh's CA, server certificate and key, made once per process (openssl). */
function devCertificates(): Record<string, Buffer> {
  if (certificates !== undefined) return certificates;
  const dir = mkdtempSync(join(tmpdir(), 'deploy-certs-'));
  try {
    const script = resolve(__dirname, '../../../scripts/dev-certs.sh');
    const result = spawnSync('bash', [script, dir], { encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      throw new Error(
        `scripts/dev-certs.sh (openssl) is needed to check the TLS variables, and it failed: ${result.error?.message ?? result.stderr}`,
      );
    }
    const names = ['ca.pem', 'server.pem', 'server-key.pem'];
    certificates = Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name))]));
    return certificates;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Variables read by the OpenTelemetry SDK (@repo/telemetry), not by config.ts: the standard OTEL_*
 * names. Node's own NODE_ENV (the image sets it) is allowed too.
 */
export function isStandardVariable(name: string): boolean {
  return /^OTEL_[A-Z0-9_]+$/.test(name) || name === 'NODE_ENV';
}

/** The names a service's parser reads, found by running it on an environment that records every lookup. */
export function variablesReadBy(read: (env: Record<string, string | undefined>) => unknown): Set<string> {
  const names = new Set<string>();
  const env = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get(_target, key) {
        if (typeof key === 'string') names.add(key);
        return undefined;
      },
    },
  );
  read(env);
  return names;
}

/**
 * Secrets the user creates in the namespace, never rendered (a private key or a token has no
 * place in git; README, "Kubernetes"), with the keys the manifests use. A Secret a pod mounts or
 * references must be rendered or one of these.
 */
export const USER_SECRETS: Record<string, readonly string[]> = {
  // components/tls: the shape of cert-manager's Certificate Secrets (type kubernetes.io/tls).
  'grpc-tls': ['tls.crt', 'tls.key', 'ca.crt'],
  // Optional: the Greeter's AUTH_TOKEN, and GREETER_TOKEN of its callers.
  'greeter-auth': ['token'],
  // Optional: the gateway's AUTH_TOKEN.
  'gateway-auth': ['token'],
};
