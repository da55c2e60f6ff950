import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Greeter } from '@repo/greeter-client';
import { type ProcessStats, type ServiceProcess, spawnService, waitFor } from '@repo/test-kit';
import { YOUNG_GENERATION_GROWTH } from './support/memory';

jest.setTimeout(50_000);

// The built entry point: run `pnpm build` first.
const MAIN = join(__dirname, '..', 'dist', 'main.js');
const MiB = 1024 * 1024;
const RSS_GROWTH_BOUND = 64 * MiB;
/** Descriptors this (jest) process may still be releasing after its channels closed. */
const FD_SLACK = 3;
/** Handles that only mean a log line or a socket shutdown is in progress at the moment of asking. */
const TRANSIENT = new Set(['FSReqCallback', 'WriteWrap', 'ShutdownWrap', 'SimpleShutdownWrap']);

/** This (jest) process's open file descriptors. */
const ownFds = () => readdirSync('/proc/self/fd').length;

/**
 * Runs `task(0..total-1)` with at most `concurrency` of them at once; resolves with the errors
 * of those that failed.
 */
async function runPool(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      await task(i).catch((err: unknown) => {
        failures.push(err);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

/**
 * A client on a connection of its own: grpc-js otherwise shares one connection between all the
 * channels of a process that have the same target and options (its global subchannel pool), and
 * a "new channel" would open no socket at all.
 */
const freshGreeter = (target: string) =>
  new Greeter({ target, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } });

let service: ServiceProcess;

beforeEach(async () => {
  service = await spawnService(MAIN);
  // Compiled code, the pools of the allocator and the logger: part of the baseline, not growth.
  const warm = freshGreeter(service.target);
  try {
    expect(await runPool(200, 20, () => warm.sayHello('warm', { timeoutMs: 5_000 }).then(() => {}))).toEqual(
      [],
    );
  } finally {
    warm.close();
  }
});

afterEach(async () => {
  if (service.child.exitCode === null) service.child.kill('SIGKILL');
  await service.exited;
});

/**
 * The server's stats once it has no connection left (no TCPSocketWrap: the clients closed theirs),
 * without the transient handles; throws after 5 s.
 */
async function idleStats(): Promise<ProcessStats> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const stats = await service.stats();
    if (stats.resources.TCPSocketWrap === undefined) {
      const resources = Object.entries(stats.resources).filter(([kind]) => !TRANSIENT.has(kind));
      return { ...stats, resources: Object.fromEntries(resources) };
    }
    if (Date.now() > deadline) {
      throw new Error(`the server still has connections: ${JSON.stringify(stats.resources)}`);
    }
    await sleep(100);
  }
}

/** A call on a new connection is answered: the server still serves. */
async function expectServing(): Promise<void> {
  const greeter = freshGreeter(service.target);
  try {
    expect(await greeter.sayHello('again', { timeoutMs: 5_000 })).toMatchObject({ message: 'Hello again' });
  } finally {
    greeter.close();
  }
}

describe('the greeter process under sustained load', () => {
  it('answers 5,000 calls on one channel, 50 at a time, without a failure, and gives back its sockets and memory', async () => {
    const before = await idleStats();
    const jestFds = ownFds();
    const greeter = freshGreeter(service.target);
    try {
      const failures = await runPool(5_000, 50, async (i) => {
        const { message } = await greeter.sayHello(`caller ${i}`, { timeoutMs: 10_000 });
        if (message !== `Hello caller ${i}`) throw new Error(`call ${i} got "${message}"`);
      });
      expect(failures).toEqual([]);
    } finally {
      greeter.close();
    }

    const after = await idleStats();
    expect(after.fds).toBeLessThanOrEqual(before.fds);
    await waitFor('this process to close its sockets', () => ownFds() <= jestFds + FD_SLACK, 5_000);
    // 5,000 calls: a leak of 1 KiB each would show in the heap. RSS also keeps what the allocator
    // holds on to after the load, so its bound is looser: under Node 20, 27 to 30 MiB (34 MiB seen
    // once on a busy machine); under Node 24, 71 to 85 MiB in 20 runs (6 of them beside another
    // run and a busy core), heap +0.25 MiB. Of Node 24's 50 MiB more, the young generation
    // (16 → 64 MiB, Node 20: 16 → 32) and pages V8 pools after it take about two thirds, and
    // malloc the rest (V8's compilers peak at 17 MiB of it, Node 20's at 4). The young generation
    // may double once more under a longer load: see YOUNG_GENERATION_GROWTH.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(4 * MiB);
    expect(after.rss - before.rss).toBeLessThan(RSS_GROWTH_BOUND + YOUNG_GENERATION_GROWTH);
    expect(after.resources).toEqual(before.resources);
    await expectServing();
  });

  it('answers 300 calls each on a channel of its own, closed after use, and closes every connection', async () => {
    const before = await idleStats();
    const jestFds = ownFds();
    const failures = await runPool(300, 10, async (i) => {
      const greeter = freshGreeter(service.target);
      try {
        const { message } = await greeter.sayHello(`caller ${i}`, { timeoutMs: 10_000 });
        if (message !== `Hello caller ${i}`) throw new Error(`call ${i} got "${message}"`);
      } finally {
        greeter.close();
      }
    });
    expect(failures).toEqual([]);

    const after = await idleStats();
    expect(after.fds).toBeLessThanOrEqual(before.fds);
    await waitFor('this process to close its sockets', () => ownFds() <= jestFds + FD_SLACK, 5_000);
    // 300 connections: a leak of 16 KiB each would show in the heap.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(4 * MiB);
    expect(after.rss - before.rss).toBeLessThan(RSS_GROWTH_BOUND);
    expect(after.resources).toEqual(before.resources);
    await expectServing();
  });
});
