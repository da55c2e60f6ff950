import { setTimeout as sleep } from 'node:timers/promises';
import { usageOf } from '@repo/runner';
import { createClients, whenConnected } from './connections';
import {
  type LatencySummary,
  type LoadOptions,
  type LoadResult,
  type ProcessWindow,
  resolveLoadOptions,
} from './options';
import { Tally } from './tally';
import { Worker } from './worker';

/** How long to wait for the connections before starting anyway. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long calls still running at the end may take before they are cancelled. */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * Drives load at `options.target` in a closed loop: `connections` HTTP/2 connections, each with
 * `streams` calls outstanding, a new call starting as soon as one ends. Unmeasured warm-up
 * first, then the measured window, then up to DRAIN_TIMEOUT_MS for the calls still running,
 * which are then cancelled.
 *
 * Every response is checked (see LoadKind): a call counts as a success only with status OK and
 * exactly the expected payload; anything else counts in `errors` under its status name, or
 * BAD_PAYLOAD. A server that cannot be reached gives UNAVAILABLE errors, not a rejection.
 * Rejects (RangeError) only on invalid options, or when one of `pids` is not a running process.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { target, kind, connections, streams, durationMs, warmupMs, messagesPerCall, pids } =
    resolveLoadOptions(options);
  for (const pid of pids) usageOf(pid);
  const clients = createClients(kind, target, connections);
  try {
    await Promise.all(clients.map((client) => whenConnected(client, CONNECT_TIMEOUT_MS)));
    const tally = new Tally();
    const workers = clients.flatMap((client) =>
      Array.from({ length: streams }, () => new Worker(tally, client, kind, messagesPerCall)),
    );
    const startAll = () => {
      for (const worker of workers) worker.start();
    };
    if (warmupMs > 0) {
      startAll();
      await sleep(warmupMs);
    }

    const windows = pids.map(startProcessWindow);
    const cpu = process.cpuUsage();
    const openedAt = performance.now();
    tally.openWindow();
    // Without a warm-up, the first calls are measured ones.
    if (warmupMs === 0) startAll();
    await sleep(durationMs);
    const seconds = (performance.now() - openedAt) / 1000;
    const used = process.cpuUsage(cpu);
    const processes = windows.map((end) => end());
    for (const worker of workers) worker.wrappingUp = true;
    tally.stop();

    let unfinished = 0;
    const drain = new AbortController();
    const drained = await Promise.race([
      tally.idle.then(() => true),
      sleep(DRAIN_TIMEOUT_MS, false, { signal: drain.signal }),
    ]);
    drain.abort();
    if (!drained) {
      unfinished = tally.running;
      for (const worker of workers) worker.call?.cancel();
      await tally.idle;
    }

    const messages = kind === 'unary' ? tally.calls : tally.messages;
    return {
      target,
      kind,
      connections,
      streams,
      messagesPerCall: kind === 'unary' ? 1 : messagesPerCall,
      seconds,
      calls: tally.calls,
      messages,
      callsPerSecond: tally.calls / seconds,
      messagesPerSecond: messages / seconds,
      latency: latencyOf(tally),
      errors: { ...tally.errors },
      unfinished,
      loadCpuMs: (used.user + used.system) / 1000,
      processes,
    };
  } finally {
    for (const client of clients) client.close();
  }
}

/** Microseconds, to 0.1 µs, from the tally's nanoseconds; a quantile is never above the exact maximum. */
function latencyOf({ latency }: Tally): LatencySummary {
  const us = (ns: number) => Math.round(ns / 100) / 10;
  const at = (percentile: number) => us(Math.min(latency.getValueAtPercentile(percentile), latency.maxValue));
  return { p50: at(50), p90: at(90), p99: at(99), max: us(latency.maxValue), mean: us(latency.mean) };
}

/**
 * Starts measuring process `pid` now (see usageOf); the function it returns ends the window and
 * says what the process used within it, or null when the process has gone.
 */
export function startProcessWindow(pid: number): () => ProcessWindow | null {
  const before = usageOf(pid);
  const started = performance.now();
  return () => {
    try {
      const { cpuMs, peakRssBytes } = usageOf(pid);
      const seconds = (performance.now() - started) / 1000;
      const used = cpuMs - before.cpuMs;
      return { pid, cpuMs: used, cores: used / 1000 / seconds, peakRssBytes };
    } catch {
      return null;
    }
  };
}
