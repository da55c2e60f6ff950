import { GreeterService } from '@repo/proto';
import { createLogger, createServer } from '@repo/server-kit';
import { LogSink, listenLocal, type Running } from '@repo/test-kit';
import { runCli } from './support/cli';
import { greet } from './support/test-greeter';

const TOKEN = 'cli-test-token-3e8f1a6c';

let running: Running;

beforeEach(async () => {
  const server = createServer({
    logger: createLogger({ name: 'test', level: 'silent' }, new LogSink()),
    services: [{ definition: GreeterService, implementation: { sayHello: greet } }],
    authToken: TOKEN,
  });
  running = await listenLocal(server);
});

afterEach(async () => {
  await running.stop();
});

describe('greeter CLI against a server that requires a token', () => {
  it('sends the token given with --token', async () => {
    const result = await runCli(['hello', 'Ada', '--target', running.target, '--token', TOKEN], {
      env: { GRPC_TOKEN: '' },
    });

    expect(result.stderr).toBe('');
    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Hello Ada {2}\(served by /);
  });

  it('sends $GRPC_TOKEN when no --token is given', async () => {
    const result = await runCli(['hello', 'Ada', '--target', running.target], { env: { GRPC_TOKEN: TOKEN } });

    expect(result.exit).toBe(0);
    expect(result.stdout).toMatch(/^Hello Ada {2}\(served by /);
  });

  it('prints UNAUTHENTICATED and exits 1 without a token, or with a wrong one', async () => {
    for (const args of [[], ['--token', `${TOKEN}-wrong`]]) {
      const result = await runCli(['hello', 'Ada', '--target', running.target, ...args], {
        env: { GRPC_TOKEN: '' },
      });

      expect(result.exit).toBe(1);
      expect(result.stderr).toBe(
        'greeter: UNAUTHENTICATED: missing or invalid bearer token\n  reason: TOKEN_INVALID\n',
      );
      expect(result.stdout).toBe('');
    }
  });
});
