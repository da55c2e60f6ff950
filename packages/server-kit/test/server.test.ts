import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { GreeterService, StreamServiceService } from '@repo/proto';
import { LogSink } from '@repo/test-kit';
import { createLogger, createServer, serviceNameOf } from '../src';
import { startServer, type TestServer } from './support/servers';
import { createTestGreeter } from './support/test-services';

describe('serviceNameOf', () => {
  it('names the service a generated definition belongs to', () => {
    expect(serviceNameOf(GreeterService)).toBe('helloworld.Greeter');
    expect(serviceNameOf(StreamServiceService)).toBe('stream.v1.StreamService');
  });

  it('rejects a definition without methods', () => {
    expect(() => serviceNameOf({})).toThrow(new Error('a service definition needs at least one method'));
  });
});

describe('createServer', () => {
  it('refuses an implementation that lacks a handler', () => {
    const logger = createLogger({ name: 'test', level: 'silent' }, new LogSink());

    expect(() =>
      createServer({ logger, services: [{ definition: GreeterService, implementation: {} }] }),
    ).toThrow(new Error('/helloworld.Greeter/SayHello has no handler'));
  });
});

describe('GrpcServer.listen', () => {
  let running: TestServer;

  beforeEach(async () => {
    running = await startServer([{ definition: GreeterService, implementation: createTestGreeter() }]);
  });

  afterEach(async () => {
    await running.server.shutdown(500);
  });

  it('logs serving with the bound port and the served services', () => {
    expect(running.port).toBeGreaterThan(0);
    expect(running.logs.find('serving')).toEqual([
      expect.objectContaining({
        level: 'info',
        host: '127.0.0.1',
        port: running.port,
        services: ['helloworld.Greeter'],
      }),
    ]);
  });

  it('rejects with the address when the port is taken', async () => {
    const logs = new LogSink();
    const other = createServer({
      logger: createLogger({ name: 'test', level: 'info' }, logs),
      services: [{ definition: GreeterService, implementation: createTestGreeter() }],
    });
    // grpc-js would also print the failure on stderr: the rejection is what is under test.
    setLogVerbosity(logVerbosity.NONE);
    try {
      await expect(other.listen('127.0.0.1', running.port)).rejects.toThrow(
        new Error(
          `cannot listen on 127.0.0.1:${running.port}: No address added out of total 1 resolved ` +
            `errors: [listen EADDRINUSE: address already in use 127.0.0.1:${running.port}]`,
        ),
      );
      expect(logs.find('serving')).toHaveLength(0);
    } finally {
      setLogVerbosity(logVerbosity.ERROR);
      await other.shutdown(100);
    }
  });
});
