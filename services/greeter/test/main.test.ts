import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthClient } from '@repo/client-kit';
import { Greeter } from '@repo/greeter-client';
import { type ServiceProcess, spawnService } from '@repo/test-kit';
import { runToExit } from './support/exit';

// The built entry point: run `pnpm build` first.
const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** Resolves with what `promise` resolves with, or rejects after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let service: ServiceProcess | undefined;

afterEach(async () => {
  // A test that failed half-way must not leave its process behind.
  if (service && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill('SIGKILL');
    await within(service.exited, 5_000, 'exit after SIGKILL');
  }
  service = undefined;
});

describe('the greeter process', () => {
  it('serves SayHello and names its own pid in x-served-by', async () => {
    service = await spawnService(MAIN);
    const greeter = new Greeter({ target: service.target });
    try {
      const greeting = await greeter.sayHello('Ada', { timeoutMs: 5_000 });

      expect(greeting).toEqual({ message: 'Hello Ada', servedBy: `${hostname()}/${service.child.pid}` });
      expect(greeting.servedBy).not.toBe(`${hostname()}/${process.pid}`);
    } finally {
      greeter.close();
    }
  });

  it('logs serving with its port and service, as JSON on stdout', async () => {
    service = await spawnService(MAIN);

    expect(service.logs.find((line) => line.msg === 'serving')).toMatchObject({
      level: 'info',
      name: 'greeter',
      host: '127.0.0.1',
      port: service.port,
      services: ['helloworld.Greeter'],
      instance: `${hostname()}/${service.child.pid}`,
    });
  });

  it('on SIGTERM turns NOT_SERVING for an open Watch, cancels it when the grace period ends, and exits 0', async () => {
    service = await spawnService(MAIN, { SHUTDOWN_GRACE_MS: '500' });
    const running = service;
    const health = new HealthClient(running.target);
    const watch = health.watch('helloworld.Greeter', { timeoutMs: 10_000 });
    try {
      expect(await within(watch.next(), 5_000, 'first status')).toEqual({ value: 'SERVING', done: false });

      const signalled = Date.now();
      running.child.kill('SIGTERM');

      expect(await within(watch.next(), 3_000, 'status after SIGTERM')).toEqual({
        value: 'NOT_SERVING',
        done: false,
      });
      // The open Watch keeps tryShutdown from finishing: the grace period has to run out.
      expect(await within(running.exited, 500 + 2_000, 'exit')).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(500 + 2_000);
    } finally {
      await watch.return(undefined);
      health.close();
    }
    const messages = running.logs.map((line) => line.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'signal received',
        'shutting down',
        'grace period over, ending the calls still running',
        'shut down',
      ]),
    );
    expect(running.logs.find((line) => line.msg === 'signal received')).toMatchObject({ signal: 'SIGTERM' });
    expect(running.logs.find((line) => line.msg === 'shutting down')).toMatchObject({ graceMs: 500 });
    expect(running.logs.find((line) => line.msg === 'shut down')).toMatchObject({ graceful: false });
    expect(running.stderr()).toBe('');
  });

  it('on SIGINT with nothing in flight exits 0 at once, gracefully', async () => {
    service = await spawnService(MAIN, { SHUTDOWN_GRACE_MS: '5000' });
    const running = service;

    const signalled = Date.now();
    running.child.kill('SIGINT');

    expect(await within(running.exited, 2_000, 'exit')).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(2_000);
    expect(running.logs.find((line) => line.msg === 'shut down')).toMatchObject({ graceful: true });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer from 0 to 65535, got "abc"'],
    [
      'LOG_LEVEL',
      'loud',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    ['SHUTDOWN_GRACE_MS', '10s', 'SHUTDOWN_GRACE_MS must be an integer from 0 to 3600000, got "10s"'],
    ['HOST', 'not a host', 'HOST must be a host name or an IP address, got "not a host"'],
  ])('exits with code 2 and names %s=%s on stderr', async (name, value, message) => {
    const exit = await runToExit(MAIN, { [name]: value });

    expect(exit.exit).toBe(2);
    expect(exit.stderr).toBe(`greeter: invalid configuration: ${message}\n`);
    expect(exit.stdout).toBe('');
  });

  it('exits with code 1 and logs why when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;

      const exit = await runToExit(MAIN, { PORT: String(port) });

      expect(exit.exit).toBe(1);
      const fatal = exit.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'cannot start');
      expect(fatal).toMatchObject({
        level: 'fatal',
        err: { message: expect.stringContaining(`127.0.0.1:${port}`) },
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe("the greeter process and Node's compile cache", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compile-cache-test-'));
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('has written the cache (under the temporary directory) by the time it serves, killed or not', async () => {
    service = await spawnService(MAIN, { TMPDIR: dir });
    service.child.kill('SIGKILL');
    await service.exited;

    const cached = await readdir(join(dir, 'node-compile-cache'), { recursive: true });
    // One entry per module start-up loaded: grpc-js alone has dozens.
    expect(cached.length).toBeGreaterThan(50);
  });

  it('starts and serves all the same where the cache cannot be written', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    service = await spawnService(MAIN, { NODE_COMPILE_CACHE: join(file, 'cache') });
    const greeter = new Greeter({ target: service.target });
    try {
      expect((await greeter.sayHello('Ada', { timeoutMs: 5_000 })).message).toBe('Hello Ada');
      expect(service.stderr()).toBe('');
    } finally {
      greeter.close();
    }
  });
});
