export { type LogLine, LogSink } from './logs';
export { type ServiceProcess, spawnService } from './processes';
export { ReflectionClient } from './reflection';
export { type Listenable, listenLocal, type Running } from './servers';
