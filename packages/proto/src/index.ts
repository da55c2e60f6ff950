import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGenericClientConstructor } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { withSharedWriter } from './codecs';
import * as health from './gen/grpc/health/v1/health';
import * as helloworld from './gen/helloworld/helloworld';
import * as stream from './gen/stream/v1/stream';

export { Any } from './gen/google/protobuf/any';
// google.rpc's error model, generated from the published protos of google-proto-files: the
// google.rpc.Status that grpc-go, grpc-java and Connect send in the `grpc-status-details-bin`
// trailer, and the standard error details it carries, each packed in a google.protobuf.Any.
export { Code } from './gen/google/rpc/code';
export {
  BadRequest,
  ErrorInfo,
  RetryInfo,
} from './gen/google/rpc/error_details';
export { Status } from './gen/google/rpc/status';
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthListResponse,
  type HealthServer,
} from './gen/grpc/health/v1/health';
export { type GreeterServer, HelloReply, HelloRequest } from './gen/helloworld/helloworld';
export {
  AllStreamRequest,
  AllStreamResponse,
  GetStreamRequest,
  GetStreamResponse,
  PutStreamRequest,
  PutStreamResponse,
  type StreamServiceServer,
} from './gen/stream/v1/stream';

// The grpc-js definitions and clients ts-proto generates, with faster serializers (see
// withSharedWriter); the same types, the same bytes on the wire.
export type GreeterService = helloworld.GreeterService;
export const GreeterService = withSharedWriter(helloworld.GreeterService, helloworld.GreeterDefinition);
export type GreeterClient = helloworld.GreeterClient;
export const GreeterClient = makeGenericClientConstructor(
  GreeterService,
  'helloworld.Greeter',
) as unknown as typeof helloworld.GreeterClient;

export type StreamServiceService = stream.StreamServiceService;
export const StreamServiceService = withSharedWriter(
  stream.StreamServiceService,
  stream.StreamServiceDefinition,
);
export type StreamServiceClient = stream.StreamServiceClient;
export const StreamServiceClient = makeGenericClientConstructor(
  StreamServiceService,
  'stream.v1.StreamService',
) as unknown as typeof stream.StreamServiceClient;

// turbo gen service: services above this line (docs/adding-a-service.md)

// gRPC's health checking protocol, as generated: its messages are small and rare.
export type HealthService = health.HealthService;
export const HealthService = health.HealthService;
export type HealthClient = health.HealthClient;
export const HealthClient = health.HealthClient;

/**
 * Where `buf build` wrote the FileDescriptorSet of every file in protos/ (imports included).
 * The same path holds from `src/` (tests) and from `dist/` (runtime).
 */
const descriptorSetPath = join(__dirname, '..', 'src', 'gen', 'descriptor-set.binpb');

/**
 * Loads protos/ through @grpc/proto-loader (protobufjs), independently of the ts-proto code.
 * Its job is to describe the API at run time, for server reflection; the services themselves
 * use the generated code.
 */
export function loadPackageDefinition(options: Options = {}): PackageDefinition {
  return loadFileDescriptorSetFromBuffer(readDescriptorSet(), options);
}

/**
 * The FileDescriptorSet of protos/ as bytes (google.protobuf.FileDescriptorSet), for code that
 * describes the API at run time with another library (the gateway builds protobuf-es's registry
 * from it), so that ts-proto stays the only generated TypeScript.
 */
export function readDescriptorSet(): Buffer {
  return readFileSync(descriptorSetPath);
}

/**
 * The FileDescriptorSet of google.rpc's Status and error details (and the google.protobuf types
 * they use), for code that turns the details of `grpc-status-details-bin` into JSON at run time.
 * Apart from readDescriptorSet's, since reflection serves only protos/.
 */
export function readErrorModelDescriptorSet(): Buffer {
  return readFileSync(join(__dirname, '..', 'src', 'gen', 'google-rpc.binpb'));
}
