export {
  AUTHORIZATION_HEADER,
  createAuthInterceptor,
  MIN_TOKEN_LENGTH,
  PUBLIC_SERVICES,
  UNAUTHENTICATED_DETAILS,
} from './auth';
export {
  forEachMessage,
  messagesOf,
  REQUEST_ID_HEADER,
  requestIdOf,
  SERVED_BY_HEADER,
  signalOf,
} from './call-context';
export {
  ConfigError,
  type Env,
  LOG_LEVELS,
  type LogLevel,
  readChoice,
  readHost,
  readInteger,
  readServerConfig,
  readTarget,
  readToken,
  type ServerConfig,
} from './config';
export { INTERNAL_DETAILS, invalidArgument, StatusError } from './errors';
export { busyDetails, HandlerGauge } from './guard';
export { grpcOptionsOf, LIMIT_DEFAULTS, limitsWith, readServerLimits, type ServerLimits } from './limits';
export {
  createLogger,
  flushLogs,
  INSTANCE,
  type Logger,
  MAX_BUFFERED_LOG_BYTES,
} from './logger';
export { type RunOptions, runServer } from './main';
export { enforcePingPolicy, type PingPolicy, TOO_MANY_PINGS } from './ping-policy';
export {
  type CreateServerOptions,
  createServer,
  GrpcServer,
  type ServiceRegistration,
  serviceNameOf,
} from './server';
export { checkText, type TextRule } from './text';
export {
  readChannelTls,
  readServerTls,
  type ServerTls,
  serverCredentialsOf,
  type TlsMode,
  tlsModeOf,
} from './tls';
