export { forEachMessage, messagesOf, requestIdOf, signalOf } from './call-context';
export {
  ConfigError,
  type Env,
  readInteger,
  readServerConfig,
  readTarget,
  readToken,
  type ServerConfig,
} from './config';
export { invalidArgument, StatusError } from './errors';
export { LIMIT_DEFAULTS, type ServerLimits } from './limits';
export { createLogger, INSTANCE, type Logger } from './logger';
export { type RunOptions, runServer } from './run-server';
export {
  type CreateServerOptions,
  createServer,
  GrpcServer,
  type ServiceRegistration,
  serviceNameOf,
} from './server';
export { checkText, type TextRule } from './text';
export { readChannelTls, readServerTls } from './tls';
