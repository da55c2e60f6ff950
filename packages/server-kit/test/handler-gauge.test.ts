import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { GreeterService, StreamServiceClient, StreamServiceService } from '@repo/proto';
import { LogSink, waitFor, within } from '@repo/test-kit';
import { createLogger, createServer, type GrpcServer } from '../src';
import { busyDetails, HandlerGauge } from '../src/handler-gauge';
import { createTestGreeter, createTestStreamService } from './support/test-services';
import { deadlineIn } from './support/timing';

describe('HandlerGauge', () => {
  it('counts a handler from acquire to release and remembers the highest count', () => {
    const gauge = new HandlerGauge(3);
    const first = gauge.acquire();
    const second = gauge.acquire();
    expect([gauge.running, gauge.peak]).toEqual([2, 2]);

    first?.();
    second?.();
    gauge.acquire();

    expect([gauge.running, gauge.peak, gauge.refused]).toEqual([1, 2, 0]);
  });

  it('releases a handler once, however many times its release is called', () => {
    const gauge = new HandlerGauge(2);
    const release = gauge.acquire();
    gauge.acquire();

    release?.();
    release?.();
    release?.();

    expect(gauge.running).toBe(1);
  });

  it('refuses past its limit without counting the refused handler, and counts every refusal', () => {
    const gauge = new HandlerGauge(2);
    const releases = [gauge.acquire(), gauge.acquire()];

    expect(gauge.acquire()).toBeUndefined();
    expect(gauge.acquire()).toBeUndefined();
    expect([gauge.running, gauge.peak, gauge.refused]).toEqual([2, 2, 2]);

    releases[0]?.();
    expect(gauge.acquire()).toBeInstanceOf(Function);
    expect([gauge.running, gauge.peak, gauge.refused]).toEqual([2, 2, 2]);
  });

  it('has no limit unless given one', () => {
    const gauge = new HandlerGauge();
    const releases = Array.from({ length: 10_000 }, () => gauge.acquire());

    expect(releases.every((release) => release !== undefined)).toBe(true);
    expect([gauge.running, gauge.refused]).toEqual([10_000, 0]);
  });
});

/** How a streaming call ended, seen from the client. */
function endOf(call: NodeJS.EventEmitter): Promise<ServiceError | null> {
  return within(
    new Promise((resolve) => {
      call.on('data', () => {});
      call.on('error', (error: ServiceError) => resolve(error));
      call.on('end', () => resolve(null));
    }),
    5_000,
    'the end of a stream',
  );
}

describe('the running-handler cap on streaming calls', () => {
  let server: GrpcServer;
  let client: StreamServiceClient;
  let started: number;
  let aborted: number;

  beforeEach(async () => {
    started = aborted = 0;
    const hooks = { started: () => void started++, aborted: () => void aborted++ };
    server = createServer({
      logger: createLogger({ name: 'test', level: 'debug' }, new LogSink()),
      limits: { maxRunningHandlers: 1 },
      services: [
        { definition: GreeterService, implementation: createTestGreeter(hooks) },
        { definition: StreamServiceService, implementation: createTestStreamService(hooks) },
      ],
    });
    const port = await server.listen('127.0.0.1', 0);
    client = new StreamServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterEach(async () => {
    client.close();
    await server.shutdown(1_000);
  });

  function getStream(text: string) {
    return client.getStream(
      { text, count: 2, intervalMs: 0, payloadBytes: 0 },
      { deadline: deadlineIn(5_000) },
    );
  }

  /** Opens a GetStream whose handler runs until cancelled, once it has started. */
  async function occupy() {
    const call = getStream('until-cancelled');
    const ended = endOf(call);
    await waitFor('the handler to start', () => started === 1);
    return { call, ended };
  }

  it('ends a GetStream over the cap with RESOURCE_EXHAUSTED and the busy details, before its handler runs', async () => {
    const { call } = await occupy();

    const error = await endOf(getStream('until-cancelled'));

    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toBe(busyDetails(1));
    expect(started).toBe(1);
    expect([server.handlers.running, server.handlers.refused]).toEqual([1, 1]);
    call.cancel();
  });

  it('ends a PutStream and an AllStream over the cap the same way', async () => {
    const { call } = await occupy();

    const put = await within(
      new Promise<ServiceError | null>((resolve) => {
        const upload = client.putStream({ deadline: deadlineIn(5_000) }, (error) => resolve(error));
        upload.write({ text: 'one' });
        upload.end();
      }),
      5_000,
      'PutStream',
    );
    const all = client.allStream({ deadline: deadlineIn(5_000) });
    const allEnded = endOf(all);
    all.write({ name: 'Ada' });
    all.end();

    for (const error of [put, await allEnded]) {
      expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(error?.details).toBe(busyDetails(1));
    }
    expect(server.handlers.refused).toBe(2);
    call.cancel();
  });

  it('frees the slot of an async streaming handler when its promise settles after a cancel', async () => {
    const { call, ended } = await occupy();

    call.cancel();
    expect((await ended)?.code).toBe(status.CANCELLED);
    await waitFor('the handler to see the cancel', () => aborted === 1);
    await waitFor('the slot to be free', () => server.handlers.running === 0);

    expect(await endOf(getStream('again'))).toBeNull();
    expect([server.handlers.peak, server.handlers.refused]).toEqual([1, 0]);
  });

  it('frees the slot of a streaming handler that returns nothing once its call finishes', async () => {
    // The default GetStream writes and ends synchronously: no promise says when it is done.
    expect(await endOf(getStream('first'))).toBeNull();
    await waitFor('the slot to be free', () => server.handlers.running === 0);

    expect(await endOf(getStream('second'))).toBeNull();
    expect([server.handlers.running, server.handlers.refused]).toEqual([0, 0]);
  });
});
