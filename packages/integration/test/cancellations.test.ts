import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StatusObject, status } from '@grpc/grpc-js';
import type { StreamServiceClient } from '@repo/proto';
import { type LogLine, type ServiceProcess, waitFor, within } from '@repo/test-kit';
import {
  ALL_STREAM,
  GET_STREAM,
  MiB,
  PUT_STREAM,
  rawStreamClient,
  type ServiceProcesses,
  sayHelloLines,
  spawnServices,
} from './support/services';

jest.setTimeout(50_000);

const BATCHES = 10;
const BATCH = 100;
const KINDS = [GET_STREAM, PUT_STREAM, ALL_STREAM] as const;

/** Handles that only mean a log line or a socket shutdown is in progress at the moment of asking. */
const TRANSIENT = new Set(['FSReqCallback', 'WriteWrap', 'ShutdownWrap', 'SimpleShutdownWrap']);

async function resourcesOf(service: ServiceProcess): Promise<Record<string, number>> {
  const { resources } = await service.stats();
  return Object.fromEntries(Object.entries(resources).filter(([kind]) => !TRANSIENT.has(kind)));
}

/** Polls (for at most 5 s) until the process's resources equal `expected`; returns the last seen. */
async function settledResources(service: ServiceProcess, expected: Record<string, number>) {
  const deadline = Date.now() + 5_000;
  let seen = await resourcesOf(service);
  while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
    await sleep(100);
    seen = await resourcesOf(service);
  }
  return seen;
}

/** The call's status (events.once would reject on the 'error' that comes first when it fails). */
const statusOf = (call: NodeJS.EventEmitter) =>
  new Promise<StatusObject>((resolve) => call.once('status', resolve));

const callLines = (service: ServiceProcess, method: string): LogLine[] =>
  service.logs.filter((line) => line.msg === 'call' && line.method === method);

/** A call of kind `kind` (an index into KINDS), left open mid-flight; `started` resolves once it is under way. */
function openCall(raw: StreamServiceClient, kind: number, id: string) {
  let call: NodeJS.EventEmitter & { cancel(): void };
  let started: Promise<unknown>;
  if (kind === 0) {
    // A second between messages: the server is in its timer when the client gives up.
    const get = raw.getStream({ text: id, count: 1000, intervalMs: 1000, payloadBytes: 0 });
    started = once(get, 'data');
    call = get;
  } else if (kind === 1) {
    const put = raw.putStream(() => {});
    put.write({ text: `${id} 1` });
    started = new Promise((resolve) => put.write({ text: `${id} 2` }, resolve));
    call = put;
  } else {
    // The Greeter is stopped: the relay's call to it is in flight until this one is cancelled.
    const all = raw.allStream();
    started = new Promise((resolve) => all.write({ name: id }, resolve));
    call = all;
  }
  call.on('error', () => {}); // the status says how it ended
  const ended = statusOf(call);
  return { kind, call, started, ended };
}

/** One complete call of each kind, each with an OK status. */
async function exercise(raw: StreamServiceClient): Promise<void> {
  const get = raw.getStream({ text: 'tick', count: 2, intervalMs: 10, payloadBytes: 0 });
  get.resume();
  const put = raw.putStream(() => {});
  put.end({ text: 'one' });
  const all = raw.allStream();
  all.resume();
  all.end({ name: 'Ada' });
  const statuses = await within(Promise.all([get, put, all].map(statusOf)), 5_000, 'a call of each kind');
  expect(statuses.map(({ code }) => code)).toEqual([status.OK, status.OK, status.OK]);
}

let services: ServiceProcesses;

beforeEach(async () => {
  services = await spawnServices({ SHUTDOWN_GRACE_MS: '10000' });
});

afterEach(async () => {
  await services.stop();
});

describe('1,000 streams cancelled mid-flight', () => {
  it('leave no handler, timer, socket or Greeter call behind, and the service keeps serving', async () => {
    const { greeter, stream } = services;
    const greeterPid = greeter.child.pid as number;
    const raw = rawStreamClient(stream.target);
    try {
      await exercise(raw);
      const before = await stream.stats();
      const streamResources = await resourcesOf(stream);
      const greeterResources = await resourcesOf(greeter);
      // The Greeter's log lines reach us a moment after its answers (written asynchronously).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const greeterAnswered = sayHelloLines(greeter).filter((line) => line.code === 'OK').length;
      const logged = () => KINDS.reduce((sum, kind) => sum + callLines(stream, kind).length, 0);
      const loggedBefore = logged();
      const greeterLinesBefore = sayHelloLines(greeter).length;
      let relayed = 0;

      for (let batch = 0; batch < BATCHES; batch++) {
        process.kill(greeterPid, 'SIGSTOP');
        try {
          const calls = Array.from({ length: BATCH }, (_, i) => openCall(raw, i % 3, `b${batch}-${i}`));
          relayed += calls.filter(({ kind }) => kind === 2).length;
          await within(Promise.all(calls.map(({ started }) => started)), 5_000, `batch ${batch} under way`);
          // Time for the relay to read each AllStream name and call the Greeter with it.
          await sleep(100);
          // A timer for each GetStream between messages, and for each Greeter call in flight (its deadline).
          const waiting = calls.filter(({ kind }) => kind !== 1).length;
          expect((await resourcesOf(stream)).Timeout).toBeGreaterThanOrEqual(waiting);
          for (const { call } of calls) call.cancel();
          const statuses = await within(Promise.all(calls.map(({ ended }) => ended)), 5_000, 'statuses');
          expect(statuses.filter(({ code }) => code !== status.CANCELLED)).toEqual([]);
          const expected = loggedBefore + (batch + 1) * BATCH;
          await waitFor(`${expected} calls logged by the stream service`, () => logged() >= expected, 5_000);
          // No timer left: neither a GetStream's nor a Greeter call's deadline (the relay's calls
          // to the Greeter are cancelled with their AllStream).
          expect(await settledResources(stream, streamResources)).toEqual(streamResources);
          // Time for the relay's resets to leave for the Greeter, which reads them with the calls.
          await sleep(50);
        } finally {
          process.kill(greeterPid, 'SIGCONT');
        }
        // The Greeter reads this batch's calls, with their resets, before it is stopped again: else
        // it would read the ~330 calls of all the batches, reset, at once at the end, and Node 24
        // takes at most MAX_CONCURRENT_STREAMS (100) of the streams that arrive, reset, in one read,
        // refuses the others and, past 100 refusals, closes the connection with GOAWAY
        // INTERNAL_ERROR (its defence against rapid resets): 133 to 166 of the 330 calls were seen.
        await waitFor(
          `the Greeter to read the ${relayed} calls relayed so far`,
          () => sayHelloLines(greeter).length >= greeterLinesBefore + relayed,
          5_000,
        );
      }

      // The Greeter has no call left either: it dropped each one the relay reset.
      expect(await settledResources(greeter, greeterResources)).toEqual(greeterResources);
      const after = await stream.stats();
      // 1,000 calls: a leak of 8 KiB each would show; RSS keeps what the allocator does not return.
      expect(after.heapUsed - before.heapUsed).toBeLessThan(8 * MiB);
      expect(after.rss - before.rss).toBeLessThan(48 * MiB);

      const codes = (method: string) =>
        callLines(stream, method)
          .slice(1)
          .map((line) => line.code);
      expect(codes(GET_STREAM).filter((code) => code !== 'CANCELLED')).toEqual([]);
      expect(codes(ALL_STREAM).filter((code) => code !== 'CANCELLED')).toEqual([]);
      // Node's HTTP/2 client ends a stream (END_STREAM) before it resets it (RST_STREAM CANCEL), and
      // the two frames may reach the server in different reads: PutStream takes the half-close for
      // the end of the upload only once the client answered a PING sent after it (messagesOf), by
      // which time the reset has been read. Waiting a turn of the event loop instead let about one
      // upload per batch be answered (logged OK) under Node 20, 14 to 17 of the 330 under Node 24.
      expect(codes(PUT_STREAM).filter((code) => code !== 'CANCELLED')).toEqual([]);

      // The relay's Greeter calls were in flight, and were cancelled with their AllStream: the
      // Greeter, once resumed, saw them reset and answered none. (It reads each call with its
      // reset, and grpc-js runs the handler before it learns of the reset; since Node 24 the
      // answer's write then completes without an error, and the call log has to see that the
      // stream was gone to log the call CANCELLED rather than OK.)
      const sayHellos = sayHelloLines(greeter);
      expect(sayHellos.filter((line) => line.code === 'OK')).toHaveLength(greeterAnswered);
      const allStreams = codes(ALL_STREAM).length;
      expect(sayHellos.filter((line) => line.code === 'CANCELLED')).toHaveLength(allStreams);

      await exercise(raw);
    } finally {
      raw.close();
    }

    // Nothing is left running, so a graceful shutdown has nothing to wait for.
    stream.child.kill('SIGTERM');
    const stopping = await stream.waitForLog((line) => line.msg === 'shutting down', 5_000);
    const stopped = await stream.waitForLog((line) => line.msg === 'shut down', 5_000);
    expect(stopping).toMatchObject({ runningHandlers: 0 });
    expect(stopped).toMatchObject({ graceful: true, refusedCalls: 0 });
    expect(stopped.durationMs).toBeLessThan(1_000);
    expect(stopped.peakRunningHandlers).toBeGreaterThanOrEqual(BATCH);
    expect(await within(stream.exited, 5_000, 'exit')).toBe(0);
  });
});
