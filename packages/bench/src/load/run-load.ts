import { setTimeout as sleep } from 'node:timers/promises';
import { usageOf } from '@repo/runner';
import { createClients, whenConnected } from './connections';
import {
  type LatencySummary,
  type LoadOptions,
  type LoadResult,
  type LoadSettings,
  type ProcessWindow,
  resolveLoadOptions,
} from './options';
import { Tally } from './tally';
import { Worker } from './worker';

const PROGRESS_INTERVAL_MS = 1_000;
/** How long to wait for the connections before starting anyway. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long calls still running at the end may take before they are cancelled. */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * Drives load at `options.target` in a closed loop: `connections` HTTP/2 connections, each with
 * `streams` calls outstanding, a new call starting as soon as one ends. Unmeasured warm-up
 * first, then the measured window (`durationMs`, or until `count` calls have ended), then up
 * to DRAIN_TIMEOUT_MS for the calls still running, which are then cancelled.
 *
 * Every response is checked (see LoadKind): a call counts as a success only with status OK and
 * exactly the expected payload; anything else counts in `errors` under its status name, or
 * BAD_PAYLOAD. A server that cannot be reached gives UNAVAILABLE errors, not a rejection.
 * Rejects (RangeError) only on invalid options, or when `serverPid` is not a running process.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const settings = resolveLoadOptions(options);
  for (const pid of [settings.serverPid ?? [], settings.otherPids].flat()) usageOf(pid);
  const clients = createClients(settings.kind, settings.target, settings.connections);
  try {
    await Promise.all(clients.map((client) => whenConnected(client, CONNECT_TIMEOUT_MS)));
    const tally = new Tally(settings.count);
    const workers = clients.flatMap((client) =>
      Array.from({ length: settings.streams }, () => new Worker(tally, client, settings)),
    );
    const window = await measure(settings, options, tally, workers);
    return resultOf(settings, tally, window);
  } finally {
    for (const client of clients) client.close();
  }
}

/** What the measured window was, read when it closed. */
interface MeasuredWindow {
  seconds: number;
  loadCpuMs: number;
  server: ProcessWindow | undefined;
  others: ProcessWindow[] | undefined;
  /** Calls still running when the drain timed out, then cancelled. */
  unfinished: number;
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
const delay = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

/**
 * Runs the phases: warm-up, the measured window (closed early by `options.signal`), then the
 * drain; resolves once no call is running any more.
 */
async function measure(
  settings: LoadSettings,
  options: LoadOptions,
  tally: Tally,
  workers: Worker[],
): Promise<MeasuredWindow> {
  // Aborted when the run is over, so that no timer outlives it; and by the caller's signal.
  const over = new AbortController();
  const early = options.signal ? AbortSignal.any([over.signal, options.signal]) : over.signal;
  const { countReached, idle } = tally;
  let phase: 'warmup' | 'measure' = 'warmup';
  let phaseStartedAt = performance.now();
  let [endedBefore, failedBefore] = [0, 0];
  const progress = setInterval(() => {
    const errors = tally.endedFailed - failedBefore;
    const calls = tally.ended - endedBefore - errors;
    options.onProgress?.({ phase, seconds: (performance.now() - phaseStartedAt) / 1000, calls, errors });
  }, PROGRESS_INTERVAL_MS);
  try {
    const startAll = () => {
      for (const worker of workers) worker.start();
    };
    if (settings.warmupMs > 0) {
      startAll();
      await delay(settings.warmupMs, early);
    }

    phase = 'measure';
    phaseStartedAt = performance.now();
    [endedBefore, failedBefore] = [tally.ended, tally.endedFailed];
    const server = settings.serverPid === undefined ? undefined : startProcessWindow(settings.serverPid);
    const others = settings.otherPids.map((pid) => startProcessWindow(pid));
    const cpu = process.cpuUsage();
    tally.openWindow();
    // Without a warm-up, the first calls are measured ones (with `count`, they are among the count).
    if (settings.warmupMs === 0) startAll();
    await Promise.race([
      countReached,
      ...(settings.durationMs === undefined ? [] : [delay(settings.durationMs, early)]),
      ...(early.aborted ? [] : [new Promise((resolve) => early.addEventListener('abort', resolve))]),
    ]);

    const used = process.cpuUsage(cpu);
    const window: MeasuredWindow = {
      seconds: (performance.now() - phaseStartedAt) / 1000,
      loadCpuMs: (used.user + used.system) / 1000,
      server: windowOf(server),
      others: others.length > 0 ? allOrNone(others.map(windowOf)) : undefined,
      unfinished: 0,
    };
    for (const worker of workers) worker.wrapUp();
    tally.stop();
    const drained = await Promise.race([idle.then(() => true), delay(DRAIN_TIMEOUT_MS, over.signal)]);
    if (drained !== true) {
      window.unfinished = tally.running;
      for (const worker of workers) worker.cancel();
      await idle;
    }
    return window;
  } finally {
    clearInterval(progress);
    over.abort();
  }
}

/** What a process used in the window; undefined when it has gone (its calls then failed). */
function windowOf(end: (() => ProcessWindow) | undefined): ProcessWindow | undefined {
  try {
    return end?.();
  } catch {
    return undefined;
  }
}

function allOrNone<T>(values: (T | undefined)[]): T[] | undefined {
  return values.every((value) => value !== undefined) ? (values as T[]) : undefined;
}

function resultOf(settings: LoadSettings, tally: Tally, window: MeasuredWindow): LoadResult {
  const { kind } = settings;
  const { seconds } = window;
  const messages = kind === 'unary' ? tally.calls : tally.messages;
  const perSecond = (n: number) => (seconds > 0 ? n / seconds : 0);
  return {
    kind,
    target: settings.target,
    connections: settings.connections,
    streams: settings.streams,
    messagesPerCall: kind === 'unary' ? 1 : settings.messagesPerCall,
    seconds,
    calls: tally.calls,
    messages,
    callsPerSecond: perSecond(tally.calls),
    messagesPerSecond: perSecond(messages),
    latencyOf: kind === 'all-stream' ? 'message' : 'call',
    latency: latencyOf(tally),
    errors: { ...tally.errors },
    unfinished: window.unfinished,
    loadCpu: { cpuMs: window.loadCpuMs, cores: seconds > 0 ? window.loadCpuMs / 1000 / seconds : 0 },
    ...(window.server && { server: window.server }),
    ...(window.others && { others: window.others }),
  };
}

/** Microseconds, to 0.1 µs, from the tally's nanoseconds; a quantile is never above the exact maximum. */
function latencyOf({ latency }: Tally): LatencySummary {
  const us = (ns: number) => Math.round(ns / 100) / 10;
  const at = (percentile: number) => us(Math.min(latency.getValueAtPercentile(percentile), latency.maxValue));
  return { p50: at(50), p90: at(90), p99: at(99), max: us(latency.maxValue), mean: us(latency.mean) };
}

/**
 * Starts measuring process `pid` now (see usageOf); the function it returns ends the window and
 * says what the process used within it. Throws when the process is gone.
 */
export function startProcessWindow(pid: number): () => ProcessWindow {
  const before = usageOf(pid);
  const started = performance.now();
  return () => {
    const { cpuMs, rssBytes, peakRssBytes } = usageOf(pid);
    const seconds = (performance.now() - started) / 1000;
    const used = cpuMs - before.cpuMs;
    return { cpuMs: used, seconds, cores: seconds > 0 ? used / 1000 / seconds : 0, rssBytes, peakRssBytes };
  };
}
