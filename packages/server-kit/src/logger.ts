import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/** Identifies this process in logs and in the x-served-by response header: `hostname/pid`. */
export const INSTANCE = `${hostname()}/${process.pid}`;

/**
 * A pino logger writing one JSON line per event, to stdout unless a destination is given
 * (tests pass one to read what was logged).
 */
export function createLogger(
  options: { name: string; level: LogLevel },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { instance: INSTANCE },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
