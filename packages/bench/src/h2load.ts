import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesField, grpcFrame } from './baselines/wire';
import { findExecutable, pinnedCommand } from './servers-cpu';

/** The h2load binary (Debian/Ubuntu package nghttp2-client) on PATH, or null when not installed. */
export function h2loadPath(): string | null {
  return findExecutable('h2load');
}

export interface H2loadOptions {
  /** host:port of a plaintext HTTP/2 (h2c) gRPC server serving helloworld.Greeter. */
  target: string;
  /** Concurrent connections (h2load -c). */
  connections: number;
  /** Concurrent streams per connection (h2load -m). */
  streams: number;
  /** Measured duration in seconds (h2load -D). */
  durationS: number;
  /** Warm-up before the measurement, in seconds (h2load --warm-up-time); 0 for none. */
  warmupS: number;
  /** CPU to pin h2load to with taskset; unpinned when absent or when taskset is missing. */
  cpu?: number;
  /** HelloRequest.name of every call; default "world". */
  name?: string;
}

/** Durations in microseconds. */
export interface H2loadLatency {
  min: number;
  max: number;
  mean: number;
  sd: number;
}

export interface H2loadResult {
  /** Requests completed per second over the measured duration. */
  requestsPerSecond: number;
  /** Requests h2load completed during the measurement (`done`). */
  done: number;
  /** Completed with an HTTP status below 400: says nothing about grpc-status. */
  succeeded: number;
  /** Completed with an HTTP status of 400 or more. */
  failed: number;
  /** Not completed: reset, or cut off by a connection error. */
  errored: number;
  /** Time for one request, from its HEADERS to the end of its response, in µs. */
  latency: H2loadLatency;
  /** Responses by HTTP status class. */
  statusCodes: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** The CPU h2load ran on, or null when it ran unpinned. Set by runH2load only. */
  pinnedCpu?: number | null;
}

const UNIT_US: Record<string, number> = { us: 1, ms: 1_000, s: 1_000_000 };

function durationUs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!match) throw new Error(`not an h2load duration: ${text}`);
  // h2load prints two decimals, so whole microseconds lose nothing and hide float noise.
  return Math.round(Number(match[1]) * (UNIT_US[match[2] as string] as number));
}

function numbersOf(output: string, pattern: RegExp, what: string): string[] {
  const match = pattern.exec(output);
  if (!match) throw new Error(`h2load output has no ${what} line:\n${output}`);
  return match.slice(1) as string[];
}

/**
 * Reads the summary h2load prints (nghttp2 1.x): throughput, request counts, status classes and
 * the "time for request" row. Throws, quoting the output, when a line is missing.
 */
export function parseH2loadOutput(output: string): H2loadResult {
  const [rps] = numbersOf(output, /finished in \S+, ([\d.]+) req\/s/, 'finished');
  const [done, succeeded, failed, errored] = numbersOf(
    output,
    /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/,
    'requests',
  ).map(Number);
  const codes = numbersOf(output, /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/, 'status codes');
  const [min, max, mean, sd] = numbersOf(
    output,
    /time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/,
    'time for request',
  ).map(durationUs);
  return {
    requestsPerSecond: Number(rps),
    done: done as number,
    succeeded: succeeded as number,
    failed: failed as number,
    errored: errored as number,
    latency: { min: min as number, max: max as number, mean: mean as number, sd: sd as number },
    statusCodes: {
      '2xx': Number(codes[0]),
      '3xx': Number(codes[1]),
      '4xx': Number(codes[2]),
      '5xx': Number(codes[3]),
    },
  };
}

/**
 * Drives unary helloworld.Greeter/SayHello at `target` with h2load over h2c: every request POSTs
 * one gRPC frame of HelloRequest{name} with `content-type: application/grpc` and `te: trailers`.
 * h2load sees HTTP statuses only, never grpc-status (it is in the trailers), so a server that
 * answers every call with an error still counts as "succeeded": check correctness separately with
 * a real gRPC client. Rejects when h2load is not installed, exits non-zero, or completed no
 * request at all (h2load reports a refused connection as zero requests, not as an error).
 */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const h2load = h2loadPath();
  if (!h2load) throw new Error('h2load is not installed (Debian/Ubuntu: apt-get install nghttp2-client)');
  const dir = await mkdtemp(join(tmpdir(), 'bench-h2load-'));
  try {
    const body = join(dir, 'hello-request.bin');
    await writeFile(body, grpcFrame(bytesField(1, options.name ?? 'world')));
    const args = [
      ...['-c', String(options.connections), '-m', String(options.streams), '-t', '1'],
      ...['-D', String(options.durationS), '-d', body],
      ...(options.warmupS > 0 ? ['--warm-up-time', String(options.warmupS)] : []),
      ...['-H', 'content-type: application/grpc', '-H', 'te: trailers'],
      `http://${options.target}/helloworld.Greeter/SayHello`,
    ];
    const pinned = pinnedCommand(h2load, args, options.cpu);
    const output = await runToEnd(
      pinned.command,
      pinned.args,
      (options.durationS + options.warmupS + 30) * 1000,
    );
    const result = parseH2loadOutput(output);
    if (result.done === 0)
      throw new Error(`h2load completed no request against ${options.target}:\n${output}`);
    return { ...result, pinnedCpu: pinned.pinnedCpu };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runToEnd(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}: ${stderr}${stdout}`));
    });
  });
}
