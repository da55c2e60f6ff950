import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '@repo/runner';

// Interop with another gRPC implementation: Python's grpcio (gRPC's C core), from Debian's
// python3-grpcio and python3-grpc-tools. Run by `pnpm test:interop` (CI installs both); kept
// out of `pnpm test`, which needs nothing but Node.
export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
// google.rpc's Status and error details, from the same published protos @repo/proto generates from.
const GOOGLE_PROTOS = dirname(require.resolve('google-proto-files/package.json'));
export const CLIENT = join(__dirname, 'greeter_client.py');
export const SERVER = join(__dirname, 'greeter_server.py');

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

export async function python(...args: string[]): Promise<{ code: number | string; stdout: string }> {
  const { exit, stdout, stderr } = await run(PYTHON, args, { timeoutMs: 20_000 });
  return { code: exit, stdout: exit === 0 ? stdout : `${stdout}${stderr}` };
}

/**
 * Generates the Python stubs of helloworld.proto and of google/rpc's status.proto and
 * error_details.proto into a new temporary directory, and returns it.
 */
export async function generateStubs(): Promise<string> {
  const stubs = mkdtempSync(join(tmpdir(), 'helloworld-py-'));
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
  if (generated.code !== 0) throw new Error(`grpc_tools.protoc failed: ${generated.stdout}`);
  return stubs;
}
