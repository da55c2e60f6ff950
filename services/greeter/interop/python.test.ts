import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '@repo/runner';
import { type ServiceProcess, spawnService } from '@repo/test-kit';

// Interop with another gRPC implementation: Python's grpcio (gRPC's C core), from Debian's
// python3-grpcio and python3-grpc-tools. Run by `pnpm test:interop` (CI installs both); kept
// out of `pnpm test`, which needs nothing but Node.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
// google.rpc's Status and error details, from the same published protos @repo/proto generates from.
const GOOGLE_PROTOS = dirname(require.resolve('google-proto-files/package.json'));
const CLIENT = join(__dirname, 'greeter_client.py');

/**
 * Copies google/rpc/status.proto and error_details.proto under `root`. Debian's grpc_tools bundles
 * protoc 3.5.1, which predates proto3 `optional` (error_details.proto has one, QuotaFailure's
 * `optional int64 future_quota_value`): the copy drops that label, which changes only whether
 * the field's presence is tracked, not its wire format.
 */
function copyGoogleRpcProtos(root: string): string {
  mkdirSync(join(root, 'google', 'rpc'), { recursive: true });
  for (const file of ['status.proto', 'error_details.proto']) {
    const text = readFileSync(join(GOOGLE_PROTOS, 'google', 'rpc', file), 'utf8');
    writeFileSync(join(root, 'google', 'rpc', file), text.replace(/^(\s*)optional /gm, '$1'));
  }
  return root;
}

async function python(...args: string[]): Promise<{ code: number | string; stdout: string }> {
  const { exit, stdout, stderr } = await run(PYTHON, args, { timeoutMs: 20_000 });
  return { code: exit, stdout: exit === 0 ? stdout : `${stdout}${stderr}` };
}

describe('a Python grpcio helloworld client', () => {
  let stubs: string;
  let greeter: ServiceProcess;

  beforeAll(async () => {
    stubs = mkdtempSync(join(tmpdir(), 'helloworld-py-'));
    const googleRpc = copyGoogleRpcProtos(join(stubs, 'protos'));
    const generated = await python(
      '-m',
      'grpc_tools.protoc',
      `--proto_path=${join(PROTOS, 'helloworld')}`,
      `--proto_path=${googleRpc}`,
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      'helloworld.proto',
      'google/rpc/status.proto',
      'google/rpc/error_details.proto',
    );
    expect(generated).toEqual({ code: 0, stdout: '' });
    greeter = await spawnService(join(__dirname, '..', 'dist', 'main.js'));
  });

  afterAll(async () => {
    await greeter?.stop();
    rmSync(stubs, { recursive: true, force: true });
  });

  it('gets "Hello <name>" from our Greeter', async () => {
    await expect(python(CLIENT, stubs, greeter.target, 'you')).resolves.toEqual({
      code: 0,
      stdout: 'Hello you\n',
    });
  });

  it('gets INVALID_ARGUMENT, our message, and the error details from grpc-status-details-bin for an empty name', async () => {
    await expect(python(CLIENT, stubs, greeter.target, '')).resolves.toEqual({
      code: 1,
      stdout: [
        'error INVALID_ARGUMENT name must not be empty',
        // The google.rpc.Status: the same code (3) and message, then each detail it packs.
        'status 3 name must not be empty',
        'reason NAME_EMPTY helloworld.Greeter',
        'field name: must not be empty',
        '',
      ].join('\n'),
    });
  });

  it('reads NAME_TOO_LONG and the field for a name over 256 characters', async () => {
    const { code, stdout } = await python(CLIENT, stubs, greeter.target, 'x'.repeat(257));
    expect(code).toBe(1);
    expect(stdout.split('\n').slice(2, 4)).toEqual([
      'reason NAME_TOO_LONG helloworld.Greeter',
      'field name: must be at most 256 characters, got 257',
    ]);
  });
});
