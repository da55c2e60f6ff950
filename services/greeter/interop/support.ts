import { dirname, join } from 'node:path';
import { generatePythonCode } from '@repo/test-kit';

// Python's grpcio against the Greeter: the clients and server here, and their generated code.
// generatePythonCode, python() and PYTHON are @repo/test-kit's (python-codegen.ts).
const PROTOS = dirname(require.resolve('@repo/protos/package.json'));
export const CLIENT = join(__dirname, 'greeter_client.py');
export const SERVER = join(__dirname, 'greeter_server.py');

/** The generated Python code of helloworld.proto (and google/rpc's, and details.py) in a new temporary directory. */
export function generateHelloworldCode(): Promise<string> {
  return generatePythonCode({ protoPath: join(PROTOS, 'helloworld'), protos: ['helloworld.proto'] });
}
