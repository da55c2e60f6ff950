import { status } from '@grpc/grpc-js';
import { StatusError } from '@repo/server-kit';
import { rejectionOf } from '@repo/test-kit';
import { Greeter } from '../src';
import { greet, TestGreeter } from './support/test-greeter';

// greeter.test.ts covers one UNAVAILABLE then success, three UNAVAILABLE, and an INVALID_ARGUMENT
// at the first attempt. Here: success at the last attempt the policy allows, and an
// INVALID_ARGUMENT met part-way through the retries. Attempts are counted on the server, and told apart by the
// `grpc-previous-rpc-attempts` header grpc-js puts on every retry.
jest.setTimeout(10_000);

/** Longer than the policy's largest backoff (0.5 s): a retry still to come would have arrived. */
const SETTLE_MS = 700;

let server: TestGreeter;
let greeter: Greeter;

beforeEach(async () => {
  server = await TestGreeter.start();
  greeter = new Greeter({ target: server.target });
});

afterEach(async () => {
  greeter.close();
  await server.stop();
});

/** The `grpc-previous-rpc-attempts` header of each call the server saw, in order. */
function previousAttempts(): (string | undefined)[] {
  return server.calls.map(({ metadata }) => metadata['grpc-previous-rpc-attempts']?.[0]);
}

/** Answers the n-th attempt (1-based) with `codes[n - 1]`, or greets once they run out. */
function failWith(...codes: status[]): void {
  server.behaviour = (call, callback) => {
    const code = codes[server.calls.length - 1];
    if (code === undefined) greet(call, callback);
    else callback(new StatusError(code, `attempt ${server.calls.length} fails`));
  };
}

describe('the Greeter retry policy', () => {
  it('resolves with the third attempt after two UNAVAILABLE ones, the server seeing exactly three', async () => {
    failWith(status.UNAVAILABLE, status.UNAVAILABLE);
    const started = performance.now();
    await expect(greeter.sayHello('Ada')).resolves.toMatchObject({ message: 'Hello Ada' });
    // Two backoffs of at most 0.05 s and 0.1 s: the retries cost milliseconds, not seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(server.calls.map(({ request }) => request.name)).toEqual(['Ada', 'Ada', 'Ada']);
    expect(previousAttempts()).toEqual([undefined, '1', '2']);

    // The retries leave nothing behind: the next call is answered at its first attempt.
    await expect(greeter.sayHello('Grace')).resolves.toMatchObject({ message: 'Hello Grace' });
    expect(previousAttempts()).toEqual([undefined, '1', '2', undefined]);
  });

  it('stops at an INVALID_ARGUMENT that follows an UNAVAILABLE, and never retries it', async () => {
    failWith(status.UNAVAILABLE, status.INVALID_ARGUMENT);
    const err = await rejectionOf(greeter.sayHello('Ada'));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'attempt 2 fails' });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(previousAttempts()).toEqual([undefined, '1']);

    await expect(greeter.sayHello('Grace')).resolves.toMatchObject({ message: 'Hello Grace' });
    expect(previousAttempts()).toEqual([undefined, '1', undefined]);
  });
});
