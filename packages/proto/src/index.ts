import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFileDescriptorSetFromBuffer, type Options, type PackageDefinition } from '@grpc/proto-loader';

export {
  GreeterClient,
  type GreeterServer,
  GreeterService,
  HelloReply,
  HelloRequest,
} from './gen/helloworld/helloworld';
export {
  AllStreamRequest,
  AllStreamResponse,
  GetStreamRequest,
  GetStreamResponse,
  PutStreamRequest,
  PutStreamResponse,
  StreamServiceClient,
  type StreamServiceServer,
  StreamServiceService,
} from './gen/stream/v1/stream';

/**
 * Where `buf build` wrote the FileDescriptorSet of every file in protos/ (imports included).
 * The same path holds from `src/` (tests) and from `dist/` (runtime).
 */
export const descriptorSetPath = join(__dirname, '..', 'src', 'gen', 'descriptor-set.binpb');

/**
 * Loads protos/ through @grpc/proto-loader (protobufjs), independently of the ts-proto code.
 * Its job is to describe the API at run time, for server reflection; the services themselves
 * use the generated code.
 */
export function loadPackageDefinition(options: Options = {}): PackageDefinition {
  return loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath), options);
}
