import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { StreamClient } from '@repo/stream-client';
import {
  closedAddress,
  generatePythonCode,
  PYTHON,
  python,
  type ServiceProcess,
  spawnService,
  within,
} from '@repo/test-kit';

// Python's grpcio (gRPC's C core) reading the error details of our stream service's retryable
// refusals and endings: the RetryInfo that says when to try again, and the ErrorInfo that says
// why. The service runs alone, built, in a process of its own; its GREETER_ADDR is a closed port.
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
const CLIENT = join(__dirname, 'stream_client.py');
const STREAM_MAIN = join(__dirname, '..', 'dist', 'main.js');

let pyDir: string;

beforeAll(async () => {
  pyDir = await generatePythonCode({ protoPath: PROTOS, protos: ['stream/v1/stream.proto'] });
});

afterAll(() => {
  rmSync(pyDir, { recursive: true, force: true });
});

async function stop(service: ServiceProcess | undefined): Promise<void> {
  if (!service) return;
  if (service.child.exitCode === null) service.child.kill('SIGKILL');
  await service.exited;
}

describe('a Python grpcio client of a busy stream service (MAX_RUNNING_HANDLERS=1)', () => {
  let service: ServiceProcess;
  let client: StreamClient;

  beforeAll(async () => {
    service = await spawnService(STREAM_MAIN, {
      GREETER_ADDR: await closedAddress(),
      MAX_RUNNING_HANDLERS: '1',
    });
    client = new StreamClient({ target: service.target });
  });

  afterAll(async () => {
    client?.close();
    await stop(service);
  });

  it('gets its GetStream answered when no handler is running', async () => {
    await expect(python(CLIENT, pyDir, service.target, 'get', 'hi', '2')).resolves.toEqual({
      code: 0,
      stdout: '1 hi\n2 hi\n',
    });
  });

  it('gets RESOURCE_EXHAUSTED with SERVER_BUSY and a RetryInfo while a grpc-js GetStream holds the one handler', async () => {
    // A long GetStream (100 s) from grpc-js, read until its first message: its handler runs.
    const abort = new AbortController();
    const long = client.getStream({ text: 'tick', count: 1_000, intervalMs: 100 }, { signal: abort.signal });
    const iterator = long[Symbol.asyncIterator]();
    await within(iterator.next(), 5_000, 'the first message of the long stream');
    try {
      await expect(python(CLIENT, pyDir, service.target, 'get', 'hi', '1')).resolves.toEqual({
        code: 1,
        stdout: [
          'error RESOURCE_EXHAUSTED server busy: 1 calls running, try again later',
          // The google.rpc.Status: the same code (8) and message, then each detail it packs.
          'status 8 server busy: 1 calls running, try again later',
          'reason SERVER_BUSY stream.v1.StreamService',
          'retry 1000 ms',
          '',
        ].join('\n'),
      });
    } finally {
      abort.abort();
      await iterator.return?.().catch(() => {});
    }
  });
});

describe('a Python grpcio client of a stream service whose Greeter cannot be reached', () => {
  let service: ServiceProcess;
  let greeterAddr: string;

  beforeAll(async () => {
    greeterAddr = await closedAddress();
    service = await spawnService(STREAM_MAIN, { GREETER_ADDR: greeterAddr });
  });

  afterAll(() => stop(service));

  it('gets UNAVAILABLE with GREETER_UNAVAILABLE and a RetryInfo from AllStream', async () => {
    const { code, stdout } = await python(CLIENT, pyDir, service.target, 'all', 'you');
    expect(code).toBe(1);
    // Our message ends with grpc-js's own words for the failed connection: read, not asserted.
    const message = stdout.match(/^error UNAVAILABLE (greeter unavailable at \S+: .+)$/m)?.[1];
    expect(message?.startsWith(`greeter unavailable at ${greeterAddr}: `)).toBe(true);
    expect(stdout).toBe(
      [
        `error UNAVAILABLE ${message}`,
        // The google.rpc.Status: the same code (14) and message, then each detail it packs.
        `status 14 ${message}`,
        'reason GREETER_UNAVAILABLE stream.v1.StreamService',
        'retry 1000 ms',
        '',
      ].join('\n'),
    );
  });
});

describe('a Python grpcio client of a stream service that shuts down (SHUTDOWN_GRACE_MS=300)', () => {
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await spawnService(STREAM_MAIN, {
      GREETER_ADDR: await closedAddress(),
      SHUTDOWN_GRACE_MS: '300',
    });
  });

  afterAll(() => stop(service));

  it('gets UNAVAILABLE with SHUTTING_DOWN and a RetryInfo at the end of its GetStream', async () => {
    // A long GetStream (100 s) from Python, read until its first message, then SIGTERM.
    const child = spawn(PYTHON, [CLIENT, pyDir, service.target, 'get', 'tick', '1000', '100'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const closed = once(child, 'close'); // After its stdout's last line, unlike 'exit'.
    const lines: string[] = [];
    const first = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        resolve();
      });
    });
    try {
      await within(first, 10_000, 'the first message of the Python client');
      service.child.kill('SIGTERM');
      const [code] = await within(closed, 10_000, 'the Python client to exit');
      expect(code).toBe(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // The messages that arrived in the grace (about three), then the status that ended the call.
    const errorAt = lines.findIndex((line) => line.startsWith('error '));
    expect(errorAt).toBeGreaterThan(0);
    expect(lines.slice(0, errorAt)).toEqual(Array.from({ length: errorAt }, (_, i) => `${i + 1} tick`));
    expect(lines.slice(errorAt)).toEqual([
      'error UNAVAILABLE server shutting down',
      'status 14 server shutting down',
      'reason SHUTTING_DOWN stream.v1.StreamService',
      'retry 1000 ms',
    ]);
  });
});
