/** The environment a configuration is read from: `process.env`, or a test's own object. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration value that cannot be used; the message names the variable and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The trimmed value of `env[name]`; undefined when unset or blank. */
export function readEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

/** A decimal integer from `min` to `max`; `fallback` when unset. */
export function readInteger(
  env: Env,
  name: string,
  { fallback, min, max }: { fallback: number; min: number; max: number },
): number {
  const raw = readEnv(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
