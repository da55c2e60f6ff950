import { LOAD_KINDS, type LoadOptions } from './types';

export const LOAD_DEFAULTS = {
  connections: 1,
  streams: 1,
  durationMs: 10_000,
  warmupMs: 0,
  messagesPerCall: 100,
  name: 'world',
  text: 'hello',
  payloadBytes: 0,
  connectTimeoutMs: 5_000,
  drainTimeoutMs: 2_000,
} as const;

type Optional = 'count' | 'durationMs' | 'timeoutMs' | 'serverPid';

/** LoadOptions with every default applied: durationMs is undefined only when measuring by count alone. */
export type LoadSettings = Required<Omit<LoadOptions, Optional | 'signal' | 'onProgress'>> &
  Pick<LoadOptions, Optional>;

/** The integer options and their least value. */
const MINIMUMS = {
  connections: 1,
  streams: 1,
  durationMs: 1,
  count: 1,
  warmupMs: 0,
  messagesPerCall: 1,
  payloadBytes: 0,
  timeoutMs: 1,
  connectTimeoutMs: 0,
  drainTimeoutMs: 0,
  serverPid: 1,
} as const;

/** Applies the defaults; throws a RangeError naming the first option out of range. */
export function resolveLoadOptions(options: LoadOptions): LoadSettings {
  if (!LOAD_KINDS.includes(options.kind)) {
    throw new RangeError(`kind must be one of ${LOAD_KINDS.join(', ')}, got ${String(options.kind)}`);
  }
  if (!options.target) throw new RangeError('target must not be empty');
  const integers = [
    ...Object.entries(MINIMUMS).map(
      ([option, min]) => [option, options[option as keyof typeof MINIMUMS], min] as const,
    ),
    ...(options.otherPids ?? []).map((pid) => ['otherPids', pid, 1] as const),
  ];
  for (const [option, value, min] of integers) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new RangeError(`${option} must be an integer of at least ${min}, got ${value}`);
    }
  }
  const given: Partial<LoadOptions> = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  return {
    ...LOAD_DEFAULTS,
    otherPids: [],
    ...given,
    target: options.target,
    kind: options.kind,
    durationMs: options.durationMs ?? (options.count === undefined ? LOAD_DEFAULTS.durationMs : undefined),
  };
}
