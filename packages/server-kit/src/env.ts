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
