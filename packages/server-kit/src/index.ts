export { createBearerCheck, UNAUTHENTICATED_DETAILS } from './auth';
export { forEachMessage, messagesOf, requestIdFrom, requestIdOf, signalOf } from './call-context';
export { callLogLevel } from './call-log';
export { endServerSpan, recordCallEnd, ServerCallTelemetry } from './call-telemetry';
export {
  ConfigError,
  type Env,
  readInteger,
  readServerConfig,
  readTarget,
  readToken,
  type ServerConfig,
} from './config';
export {
  BUSY_RETRY_DELAY_MS,
  invalidArgument,
  StatusError,
  type StatusErrorOptions,
  type Violation,
} from './errors';
export { LIMIT_DEFAULTS, type ServerLimits } from './limits';
export { createLogger, INSTANCE, type Logger, traceFieldsOf } from './logger';
export { type RunnableServer, type RunOptions, runServer } from './run-server';
export {
  type CreateServerOptions,
  createServer,
  GrpcServer,
  type ServiceRegistration,
  serviceNameOf,
} from './server';
export { checkText, sentenceOf, type TextRule, violation } from './text';
export { readChannelTls, readServerTls, type ServerTls, type TlsMode, tlsModeOf } from './tls';
