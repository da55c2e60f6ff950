import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { StreamServiceClient, StreamServiceService } from '@repo/proto';
import { within } from '@repo/test-kit';
import { REQUEST_ID_HEADER } from '@repo/wire';
import { requestIdOf } from '../src';
import { ensureRequestId } from '../src/call-context';
import { startServer, type TestServer } from './support/servers';
import { createTestStreamService, type TestHooks } from './support/test-services';
import { deadlineIn } from './support/timing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function metadataWith(requestId?: string): Metadata {
  const metadata = new Metadata();
  if (requestId !== undefined) metadata.set(REQUEST_ID_HEADER, requestId);
  return metadata;
}

describe('ensureRequestId', () => {
  it.each(['req-1', 'a', 'trace.span:42_x', '0f5c1a9e-2b7d-4c1e-9a55-3f0e1d2c3b4a', 'x'.repeat(128)])(
    'keeps a sane id from the client (%s)',
    (id) => {
      const metadata = metadataWith(id);
      expect(ensureRequestId(metadata)).toBe(id);
      expect(metadata.get(REQUEST_ID_HEADER)).toEqual([id]);
    },
  );

  it.each([
    ['longer than 128 characters', 'x'.repeat(129)],
    ['with spaces', 'req 1'],
    ['that looks like JSON', '{"level":"fatal"}'],
    ['with percent-encoding', 'req%0A1'],
    ['that is empty', ''],
    ['with a slash', 'a/b'],
  ])('replaces an id %s with a new UUID, in the metadata too', (_case, id) => {
    const metadata = metadataWith(id);
    const replaced = ensureRequestId(metadata);
    expect(replaced).toMatch(UUID);
    expect(metadata.get(REQUEST_ID_HEADER)).toEqual([replaced]);
  });

  it('generates a UUID when the client sent none, and stores it', () => {
    const metadata = metadataWith();
    const id = ensureRequestId(metadata);
    expect(id).toMatch(UUID);
    expect(metadata.get(REQUEST_ID_HEADER)).toEqual([id]);
  });

  it('generates a different id for every call', () => {
    expect(ensureRequestId(metadataWith())).not.toBe(ensureRequestId(metadataWith()));
  });

  it('returns the same id when asked again for the same call', () => {
    const call = { metadata: metadataWith() };
    expect(requestIdOf(call)).toBe(requestIdOf(call));
  });
});

describe('signalOf, on a real call', () => {
  let running: TestServer;
  let streams: InstanceType<typeof StreamServiceClient>;
  let hooks: TestHooks;

  beforeEach(async () => {
    hooks = {};
    const relay: TestHooks = { started: () => hooks.started?.(), aborted: () => hooks.aborted?.() };
    running = await startServer([
      { definition: StreamServiceService, implementation: createTestStreamService(relay) },
    ]);
    streams = new StreamServiceClient(running.target, credentials.createInsecure());
  });

  afterEach(async () => {
    streams.close();
    await running.server.shutdown(500);
  });

  function waitForever(deadline: Date) {
    const started = within(new Promise<void>((resolve) => (hooks.started = resolve)), 5_000, 'start');
    const aborted = within(new Promise<void>((resolve) => (hooks.aborted = resolve)), 5_000, 'abort');
    const call = streams.getStream(
      { text: 'until-cancelled', count: 1, intervalMs: 0, payloadBytes: 0 },
      { deadline },
    );
    const ended = within(
      new Promise<ServiceError>((resolve) => call.on('error', resolve)),
      5_000,
      'end of the call',
    );
    return { call, started, aborted, ended };
  }

  it('aborts when the client cancels the call', async () => {
    const { call, started, aborted, ended } = waitForever(deadlineIn(10_000));
    await started;

    call.cancel();

    await aborted;
    expect(await ended).toMatchObject({ code: status.CANCELLED, details: 'Cancelled on client' });
  });

  it('aborts when the deadline of the call passes', async () => {
    const { aborted, ended } = waitForever(deadlineIn(100));

    await aborted;
    expect((await ended).code).toBe(status.DEADLINE_EXCEEDED);
  });
});
