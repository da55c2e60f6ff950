import { readConfig as readGreeterConfig } from '@repo/greeter/dist/config';
import { readConfig as readStreamConfig } from '@repo/stream/dist/config';

export interface ServiceConfig {
  port: number;
  metricsPort: number;
  shutdownGraceMs: number;
  greeterAddr?: string;
}

/** Each service's own parser of its environment (its config.ts), by Deployment name. */
export const READERS: Record<string, (env: Record<string, string | undefined>) => ServiceConfig> = {
  greeter: readGreeterConfig,
  stream: readStreamConfig,
};

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
