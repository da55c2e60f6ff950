import { LOAD_KINDS, type LoadKind, type LoadOptions } from './types';

/** LoadOptions with every default applied and every number checked. */
export interface LoadSettings {
  target: string;
  kind: LoadKind;
  connections: number;
  streams: number;
  /** Undefined only when measuring by count without a time limit. */
  durationMs: number | undefined;
  count: number | undefined;
  warmupMs: number;
  messagesPerCall: number;
  name: string;
  text: string;
  payloadBytes: number;
  timeoutMs: number | undefined;
  connectTimeoutMs: number;
  drainTimeoutMs: number;
  serverPid: number | undefined;
  otherPids: number[];
}

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

/** An integer option, `min` or more; a RangeError naming it otherwise. */
function integer(option: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${option} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}

/** Applies the defaults; throws a RangeError naming the first option out of range. */
export function resolveLoadOptions(options: LoadOptions): LoadSettings {
  if (!LOAD_KINDS.includes(options.kind)) {
    throw new RangeError(`kind must be one of ${LOAD_KINDS.join(', ')}, got ${String(options.kind)}`);
  }
  if (!options.target) throw new RangeError('target must not be empty');
  const d = LOAD_DEFAULTS;
  const count = integer('count', options.count, 1);
  const durationMs = integer('durationMs', options.durationMs, 1);
  return {
    target: options.target,
    kind: options.kind,
    connections: integer('connections', options.connections, 1) ?? d.connections,
    streams: integer('streams', options.streams, 1) ?? d.streams,
    durationMs: durationMs ?? (count === undefined ? d.durationMs : undefined),
    count,
    warmupMs: integer('warmupMs', options.warmupMs, 0) ?? d.warmupMs,
    messagesPerCall: integer('messagesPerCall', options.messagesPerCall, 1) ?? d.messagesPerCall,
    name: options.name ?? d.name,
    text: options.text ?? d.text,
    payloadBytes: integer('payloadBytes', options.payloadBytes, 0) ?? d.payloadBytes,
    timeoutMs: integer('timeoutMs', options.timeoutMs, 1),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 0) ?? d.connectTimeoutMs,
    drainTimeoutMs: integer('drainTimeoutMs', options.drainTimeoutMs, 0) ?? d.drainTimeoutMs,
    serverPid: integer('serverPid', options.serverPid, 1),
    otherPids: (options.otherPids ?? []).map((pid) => integer('otherPids', pid, 1) as number),
  };
}
