export { type CallOptions, cancelOnAbort, toGrpcCall } from './call-options';
export { COMMON_FLAGS, COMMON_HELP, commonCallOptions, parseCount, runCli, UsageError } from './cli';
export { type CallError, describeError, isCallError } from './errors';
export { type Source, writeAll } from './streams';
