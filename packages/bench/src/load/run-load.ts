import type { Client } from '@grpc/grpc-js';
import { usageOf } from '@repo/runner';
import { AllStreamWorker } from './all-stream-worker';
import { createClients, whenConnected } from './connections';
import { GetStreamWorker } from './get-stream-worker';
import { PutStreamWorker } from './put-stream-worker';
import { type LoadSettings, resolveLoadOptions } from './settings';
import { Tally } from './tally';
import type { LatencySummary, LoadOptions, LoadResult, ProcessWindow } from './types';
import { UnaryWorker } from './unary-worker';
import type { Worker, WorkerContext } from './worker';

const PROGRESS_INTERVAL_MS = 1_000;

/** What the measured window was, read when it closed. */
interface MeasuredWindow {
  seconds: number;
  loadCpuMs: number;
  server: ProcessWindow | undefined;
  others: ProcessWindow[] | undefined;
  /** Calls still running when the drain timed out, then cancelled. */
  unfinished: number;
}

/**
 * Drives load at `options.target` in a closed loop: `connections` HTTP/2 connections, each with
 * `streams` calls outstanding, a new call starting as soon as one ends. Unmeasured warm-up
 * first, then the measured window (`durationMs`, or until `count` calls have ended), then up
 * to `drainTimeoutMs` for the calls still running, which are then cancelled.
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
    await Promise.all(clients.map((client) => whenConnected(client, settings.connectTimeoutMs)));
    const tally = new Tally(settings.count);
    const context: WorkerContext = { tally, timeoutMs: settings.timeoutMs };
    const workers = clients.flatMap((client) =>
      Array.from({ length: settings.streams }, () => createWorker(settings, context, client)),
    );
    const window = await measure(settings, options, tally, workers);
    return resultOf(settings, tally, window);
  } finally {
    for (const client of clients) client.close();
  }
}

function createWorker(settings: LoadSettings, context: WorkerContext, client: Client): Worker {
  const { kind, name, text, payloadBytes, messagesPerCall } = settings;
  switch (kind) {
    case 'unary':
      return new UnaryWorker(context, client, name);
    case 'get-stream':
      return new GetStreamWorker(context, client, { text, count: messagesPerCall, payloadBytes });
    case 'put-stream':
      return new PutStreamWorker(
        context,
        client,
        payloadBytes > 0 ? 'x'.repeat(payloadBytes) : text,
        messagesPerCall,
      );
    case 'all-stream':
      return new AllStreamWorker(context, client, name, messagesPerCall);
  }
}

/** Runs the phases; resolves once the window has closed and no call is running any more. */
function measure(
  settings: LoadSettings,
  options: LoadOptions,
  tally: Tally,
  workers: Worker[],
): Promise<MeasuredWindow> {
  const { onProgress, signal } = options;
  return new Promise((resolve) => {
    let phaseStartedAt = performance.now();
    let endedBefore = 0;
    let failedBefore = 0;
    let opened:
      | {
          at: number;
          cpu: NodeJS.CpuUsage;
          server: (() => ProcessWindow) | undefined;
          others: (() => ProcessWindow)[];
        }
      | undefined;
    let closed: MeasuredWindow | undefined;
    const timers: NodeJS.Timeout[] = [];

    const open = (): void => {
      phaseStartedAt = performance.now();
      endedBefore = tally.ended;
      failedBefore = tally.endedFailed;
      const server = settings.serverPid === undefined ? undefined : startProcessWindow(settings.serverPid);
      const others = settings.otherPids.map((pid) => startProcessWindow(pid));
      opened = { at: phaseStartedAt, cpu: process.cpuUsage(), server, others };
      tally.openWindow();
      if (settings.durationMs !== undefined) timers.push(setTimeout(close, settings.durationMs));
    };
    const close = (): void => {
      if (closed || !opened) return;
      const cpu = process.cpuUsage(opened.cpu);
      closed = {
        seconds: (performance.now() - opened.at) / 1000,
        loadCpuMs: (cpu.user + cpu.system) / 1000,
        server: serverWindowOf(opened.server),
        others: othersOf(opened.others),
        unfinished: 0,
      };
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      timers.push(setTimeout(cancelAll, settings.drainTimeoutMs));
      for (const worker of workers) worker.wrapUp();
      tally.stop();
    };
    const cancelAll = (): void => {
      if (closed) closed.unfinished = tally.running;
      for (const worker of workers) worker.cancel();
    };
    tally.onCountReached = close;
    tally.onIdle = () => {
      for (const timer of timers) clearTimeout(timer);
      if (closed) resolve(closed);
    };
    if (onProgress) {
      const progress = setInterval(() => {
        const ended = tally.ended - endedBefore;
        const errors = tally.endedFailed - failedBefore;
        const seconds = (performance.now() - phaseStartedAt) / 1000;
        onProgress({ phase: opened ? 'measure' : 'warmup', seconds, calls: ended - errors, errors });
      }, PROGRESS_INTERVAL_MS);
      timers.push(progress);
    }

    const abort = (): void => {
      if (!opened) open();
      close();
    };

    if (settings.warmupMs > 0) timers.push(setTimeout(open, settings.warmupMs));
    else open();
    signal?.addEventListener('abort', abort, { once: true });
    for (const worker of workers) worker.start();
    if (signal?.aborted) abort();
  });
}

/** What the other processes used; undefined when any has gone. */
function othersOf(ends: (() => ProcessWindow)[]): ProcessWindow[] | undefined {
  if (ends.length === 0) return undefined;
  const windows = ends.map(serverWindowOf);
  return windows.every((w): w is ProcessWindow => w !== undefined) ? windows : undefined;
}

/** The server's share of the window; undefined when the process has gone (its calls then failed). */
function serverWindowOf(end: (() => ProcessWindow) | undefined): ProcessWindow | undefined {
  try {
    return end?.();
  } catch {
    return undefined;
  }
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
