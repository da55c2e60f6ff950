// NOT PRODUCT CODE. Loaded (NODE_OPTIONS=--require) before src/otel-grpc-preload.ts by
// src/tracing-approaches.ts, to see what instrumentation-grpc does when it comes too late: an
// application that starts the SDK after its own imports has grpc-js loaded, and our generated
// clients built (ts-proto calls makeGenericClientConstructor when @repo/proto loads), before the
// instrumentation's require hook exists.
import '@grpc/grpc-js';
import '@repo/proto';
