export {
  type CallError,
  createTlsCredentials,
  type ErrorDetails,
  errorDetailsOf,
  type FieldViolation,
  isCallError,
  type TlsPems,
} from '@repo/wire';
export { type CallOptions, cancelOnAbort, toGrpcCall } from './call-options';
export {
  COMMON_FLAGS,
  COMMON_HELP,
  commonCallOptions,
  commonCompression,
  parseCount,
  runCli,
  traceCommand,
  UNARY_TIMEOUT_MS,
  UsageError,
} from './cli';
export { commonCredentials } from './cli-tls';
export { type Compression, compressionOptions } from './compression';
export { describeError, describeErrorDetails } from './errors';
export { HealthClient, type HealthClientOptions, type ServingStatus } from './health';
export { type Source, writeAll } from './streams';
export { createTelemetryInterceptor } from './telemetry';
