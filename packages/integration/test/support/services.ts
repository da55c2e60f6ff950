import { credentials } from '@grpc/grpc-js';
import { StreamServiceClient } from '@repo/proto';
import { type LogLine, rssOf, type ServiceProcess, spawnService } from '@repo/test-kit';
import { STREAM_MAIN, stopProcess } from './stack';

export const MiB = 1024 * 1024;

/** The built Greeter (its dist/main.js), for tests that run it in a process of its own. */
export const GREETER_MAIN = require.resolve('@repo/greeter/dist/main.js');

export const SAY_HELLO = '/helloworld.Greeter/SayHello';

/** A Greeter process and a stream service process calling it. */
export interface ProcessStack {
  greeter: ServiceProcess;
  stream: ServiceProcess;
  /** SIGCONT to both (a test may have stopped one), then SIGTERM, bounded; resolves once both exited. */
  stop(): Promise<void>;
}

export async function spawnStack(streamEnv: Record<string, string> = {}): Promise<ProcessStack> {
  const greeter = await spawnService(GREETER_MAIN);
  let stream: ServiceProcess;
  try {
    stream = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeter.target, ...streamEnv });
  } catch (err: unknown) {
    await stopProcess(greeter);
    throw err;
  }
  return {
    greeter,
    stream,
    async stop() {
      for (const service of [stream, greeter]) {
        // A stopped process would not act on SIGTERM before stopProcess gives up on it.
        if (service.child.exitCode === null) service.child.kill('SIGCONT');
      }
      await Promise.all([stopProcess(stream), stopProcess(greeter)]);
    },
  };
}

/**
 * A raw grpc-js client, for tests that need what the client library hides: write()'s return
 * value, pause(), cancel(). Like StreamClient, it commits each call at once (no retry buffer),
 * so what it buffers is only what grpc-js's streams and HTTP/2 flow control let it.
 */
export function rawStreamClient(target: string): StreamServiceClient {
  return new StreamServiceClient(target, credentials.createInsecure(), {
    'grpc.per_rpc_retry_buffer_size': 0,
  });
}

/** The SayHello calls a Greeter process has logged so far (every one, at LOG_LEVEL=info). */
export function sayHelloLines(greeter: ServiceProcess): LogLine[] {
  return greeter.logs.filter((line) => line.msg === 'call' && line.method === SAY_HELLO);
}

/** Samples a process's RSS every `everyMs` until stopped; `peak` is the highest seen. */
export function sampleRss(pid: number, everyMs = 50): { readonly peak: number; stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, everyMs);
  return {
    get peak() {
      return peak;
    },
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssOf(pid));
      return peak;
    },
  };
}
