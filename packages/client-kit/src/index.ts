export { type CallOptions, cancelOnAbort, toGrpcCall } from './call-options';
export {
  COMMON_FLAGS,
  COMMON_HELP,
  commonCallOptions,
  parseCount,
  runCli,
  traceCommand,
  UNARY_TIMEOUT_MS,
  UsageError,
} from './cli';
export { commonCredentials } from './cli-tls';
export { type CallError, describeError, isCallError } from './errors';
export { HealthClient, type HealthClientOptions, type ServingStatus } from './health';
export { type Source, writeAll } from './streams';
export {
  type CallTelemetry,
  createTelemetryInterceptor,
  DURATION_BUCKETS_S,
  injectTraceContext,
  METADATA_GETTER,
  MethodPoints,
  methodPointsCache,
  rpcAttributesOf,
  SIZE_BUCKETS_BYTES,
} from './telemetry';
export {
  createTlsCredentials,
  readPemFile,
  reasonOf,
  type TlsFiles,
  type TlsPems,
  tlsCredentialsFromFiles,
} from './tls';
