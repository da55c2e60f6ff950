import { ConfigError } from '../../src';

/** The ConfigError that `read` throws, so that its class and message can both be checked. */
export function configErrorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
