import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelloRequest } from '@repo/proto';
import { run } from '@repo/runner';
import { grpcFrame } from '@repo/test-kit';
import { pinTo } from './taskset';

/** h2load's version line (Debian's nghttp2-client), or null when it is not installed. */
export async function h2loadVersion(): Promise<string | null> {
  const result = await run('h2load', ['--version']).catch(() => undefined);
  return result?.exit === 0 ? (result.stdout.split('\n')[0]?.trim() ?? null) : null;
}

export interface H2loadOptions {
  /** host:port of a plaintext HTTP/2 (h2c) gRPC server serving helloworld.Greeter. */
  target: string;
  /** Concurrent connections (-c), streams per connection (-m). */
  connections: number;
  streams: number;
  /** Measured duration and warm-up before it, in whole seconds (-D, --warm-up-time). */
  durationS: number;
  warmupS: number;
  /** CPU to pin h2load to; unpinned when absent or when taskset is missing. */
  cpu?: number;
}

export interface H2loadResult {
  /** Requests completed per second over the measured duration. */
  requestsPerSecond: number;
  /** Requests completed (`done`); of them, with an HTTP status of 400 or more (`failed`). */
  done: number;
  failed: number;
  /** Not completed: reset, or cut off by a connection error. */
  errored: number;
}

/** Reads the summary h2load prints (nghttp2 1.x); throws, quoting the output, when a line is missing. */
export function parseH2loadOutput(output: string): H2loadResult {
  const rps = /finished in \S+, ([\d.]+) req\/s/.exec(output);
  const requests =
    /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(output);
  if (!rps || !requests) throw new Error(`not an h2load summary:\n${output}`);
  const [done, failed, errored] = requests.slice(1).map(Number) as [number, number, number];
  return { requestsPerSecond: Number(rps[1]), done, failed, errored };
}

/**
 * Drives unary helloworld.Greeter/SayHello at `target` with h2load over h2c: every request POSTs
 * one gRPC frame of HelloRequest{name:"world"}. h2load sees HTTP statuses only, never grpc-status
 * (it is in the trailers), so check correctness with a real gRPC client. Rejects when h2load is
 * missing, exits non-zero, or completed no request (it reports a refused connection as zero).
 */
export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-h2load-'));
  try {
    const body = join(dir, 'hello-request.bin');
    await writeFile(body, grpcFrame(HelloRequest.encode({ name: 'world' }).finish()));
    const args = [
      ...['-c', String(options.connections), '-m', String(options.streams), '-t', '1'],
      ...['-D', String(options.durationS), '-d', body],
      ...(options.warmupS > 0 ? ['--warm-up-time', String(options.warmupS)] : []),
      ...['-H', 'content-type: application/grpc', '-H', 'te: trailers'],
      `http://${options.target}/helloworld.Greeter/SayHello`,
    ];
    const argv = [...(await pinTo(options.cpu)), 'h2load', ...args];
    const timeoutMs = (options.durationS + options.warmupS + 30) * 1000;
    const ran = await run(argv[0] as string, argv.slice(1), { timeoutMs });
    if (ran.exit !== 0) throw new Error(`h2load ended with ${ran.exit}: ${ran.stderr}${ran.stdout}`);
    const result = parseH2loadOutput(ran.stdout);
    if (result.done === 0)
      throw new Error(`h2load completed no request against ${options.target}:\n${ran.stdout}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
