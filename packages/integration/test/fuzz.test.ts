import type { status } from '@grpc/grpc-js';
import { isCallError } from '@repo/client-kit';
import { MAX_NAME_LENGTH } from '@repo/greeter';
import { Greeter } from '@repo/greeter-client';
import { StreamClient } from '@repo/stream-client';
import { drain, within } from '@repo/test-kit';
import fc from 'fast-check';
import { type ServiceProcesses, spawnServices } from './support/services';

// The Greeter and the stream service, each in a process of its own, fed the same random names:
// the Greeter directly, the stream service through AllStream. The stream service checks each name
// itself before it calls the Greeter (so that any Greeter behind it answers alike); here its rule
// is held to the real Greeter's, and its greetings to the Greeter's own. The stream service's own
// fuzzing, against a test Greeter, is in services/stream/test/fuzz.test.ts.
const TIMEOUT_MS = 5_000;

jest.setTimeout(30_000);

let services: ServiceProcesses;
let greeter: Greeter;
let client: StreamClient;

beforeAll(async () => {
  services = await spawnServices();
  greeter = new Greeter({ target: services.greeter.target });
  client = new StreamClient({ target: services.stream.target });
});

afterAll(async () => {
  greeter.close();
  client.close();
  expect(await within(services.stream.stop(), 10_000, 'the stream service to stop')).toBe(0);
  expect(await within(services.greeter.stop(), 10_000, 'the Greeter to stop')).toBe(0);
});

/** A greeting (message and the instance that served it), or a refusal (code and details). */
type Answer = { message: string; servedBy: string } | { code: status; details: string };

function refusalOf(err: unknown): Answer {
  if (!isCallError(err)) throw err;
  return { code: err.code, details: err.details };
}

/** What the Greeter answers `name` with, asked directly. */
function greeterAnswer(name: string): Promise<Answer> {
  return greeter.sayHello(name, { timeoutMs: TIMEOUT_MS }).catch(refusalOf);
}

/** Names a person types, names no client should send, and names around the Greeter's length limit. */
const anyName = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u3000', 'A\u0007da', '\ud800', '\u200b'),
  fc.integer({ min: MAX_NAME_LENGTH - 1, max: MAX_NAME_LENGTH + 1 }).map((count) => '😀'.repeat(count)),
);

describe('AllStream and the Greeter, fed the same random names', () => {
  it("answer alike: the Greeter's greetings, in order, until the first name the Greeter refuses", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(anyName, { maxLength: 6 }), { minLength: 5, maxLength: 10 }),
        async (streams) => {
          await Promise.all(
            streams.map(async (names) => {
              const direct = await Promise.all(names.map(greeterAnswer));
              const refused = direct.findIndex((answer) => 'code' in answer);
              const { received, error } = await drain(client.allStream(names, { timeoutMs: TIMEOUT_MS }));
              const refusal = direct[refused];
              expect({ received, answer: error === undefined ? undefined : refusalOf(error) }).toEqual({
                received: refused === -1 ? direct : direct.slice(0, refused),
                answer:
                  refusal && 'code' in refusal
                    ? { code: refusal.code, details: `message ${refused + 1}: ${refusal.details}` }
                    : undefined,
              });
              seen.add(refused === -1 ? 'greeted' : 'refused');
            }),
          );
        },
      ),
      { numRuns: 40 },
    );
    expect([...seen].sort()).toEqual(['greeted', 'refused']);
  });

  it('leave neither process with a handler failure or an UNKNOWN status in its log', () => {
    for (const { logs } of [services.greeter, services.stream]) {
      expect(logs.filter((line) => line.msg === 'handler failed' || line.code === 'UNKNOWN')).toEqual([]);
    }
  });
});
