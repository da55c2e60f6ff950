import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Greeter } from '@repo/greeter-client';
import {
  FaultRelay,
  PYTHON,
  python,
  type ServiceProcess,
  spawnService,
  textOfWords,
  within,
} from '@repo/test-kit';
import { CLIENT, generateHelloworldCode, SERVER } from './support';

// gzip between grpc-js and another implementation (Python's grpcio, gRPC's C core), both ways,
// with the bytes on the wire counted by a TCP relay in between.
const KiB = 1024;
const MiB = 1024 * KiB;

jest.setTimeout(30_000);

let pyDir: string;

beforeAll(async () => {
  pyDir = await generateHelloworldCode();
});

afterAll(() => {
  rmSync(pyDir, { recursive: true, force: true });
});

/** The Python Greeter (greeter_server.py, gzip-compressed responses), once it listens. */
async function startPythonServer(): Promise<{ child: ChildProcess; target: string }> {
  const child = spawn(PYTHON, [SERVER, pyDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await within(once(lines, 'line'), 10_000, 'the Python server to listen')) as [string];
  const port = /^listening (\d+)$/.exec(line)?.[1];
  if (!port) throw new Error(`unexpected first line from the Python server: ${line}`);
  return { child, target: `127.0.0.1:${port}` };
}

describe('our Greeter client and a Python grpcio server that compresses its responses', () => {
  let server: { child: ChildProcess; target: string };

  beforeAll(async () => {
    server = await startPythonServer();
  });

  afterAll(async () => {
    server.child.stdin?.end();
    await within(once(server.child, 'exit'), 10_000, 'the Python server to exit');
  });

  /** A 1 MiB name there and its 1 MiB greeting back, through a relay: the bytes each way. */
  async function greetMiB(compression: 'identity' | 'gzip') {
    const relay = await FaultRelay.start(server.target);
    const greeter = new Greeter({ target: relay.target, compression });
    try {
      const name = textOfWords(MiB);
      const { message } = await greeter.sayHello(name, { timeoutMs: 20_000 });
      expect(message).toBe(`Hello ${name}`);
      return { up: relay.bytesToTarget, down: relay.bytesFromTarget };
    } finally {
      greeter.close();
      await relay.close();
    }
  }

  it('sends a gzip request that Python reads, and reads its gzip response: 1 MiB each way in about a third', async () => {
    const plain = await greetMiB('identity');
    const gzip = await greetMiB('gzip');

    // Our request: 1 MiB plain; gzip, about a third (prose), measured on the connection.
    expect(plain.up).toBeGreaterThan(MiB);
    expect(gzip.up).toBeLessThan(0.4 * MiB);
    // Python compresses every response, whatever our client sends: both replies came compressed,
    // and grpc-js decompressed them (the greeting matched, above).
    expect(plain.down).toBeLessThan(0.4 * MiB);
    expect(gzip.down).toBeLessThan(0.4 * MiB);
  });
});

describe('a Python grpcio client that compresses its request, and our Greeter', () => {
  let greeter: ServiceProcess;

  beforeAll(async () => {
    greeter = await spawnService(join(__dirname, '..', 'dist', 'main.js'));
  });

  afterAll(async () => {
    await greeter.stop();
  });

  /** One Python SayHello through a relay: its output and the request's bytes. */
  async function pythonSayHello(name: string, compression: 'identity' | 'gzip') {
    const relay = await FaultRelay.start(greeter.target);
    try {
      const result = await python(CLIENT, pyDir, relay.target, name, compression);
      return { ...result, up: relay.bytesToTarget };
    } finally {
      await relay.close();
    }
  }

  it('is decompressed and answered', async () => {
    const name = 'Ada Lovelace, Countess of Lovelace';
    await expect(pythonSayHello(name, 'gzip')).resolves.toMatchObject({ code: 0, stdout: `Hello ${name}\n` });
  });

  it('is read whole: a 64 KiB name costs under 40% of its bytes gzipped, and is measured inflated', async () => {
    const name = textOfWords(64 * KiB);
    const plain = await pythonSayHello(name, 'identity');
    const gzip = await pythonSayHello(name, 'gzip');

    // The Greeter counted every character of the inflated name before refusing it.
    const refusal = 'error INVALID_ARGUMENT name must be at most 256 characters, got 65536\n';
    expect(plain.stdout.startsWith(refusal)).toBe(true);
    expect(gzip.stdout.startsWith(refusal)).toBe(true);
    expect(plain.up).toBeGreaterThan(64 * KiB);
    expect(gzip.up).toBeLessThan(0.4 * plain.up);
  });

  it('gets our error details for a compressed request too', async () => {
    const { code, stdout } = await pythonSayHello('', 'gzip');

    expect(code).toBe(1);
    expect(stdout).toContain('reason NAME_EMPTY helloworld.Greeter\nfield name: must not be empty\n');
  });
});
