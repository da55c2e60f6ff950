export { createDevCerts, DEV_CERTS_SCRIPT, type DevCerts } from './certs';
export { type LogLine, LogSink } from './logs';
export { closedAddress } from './net';
export { fdCountOf, type ProcessStats, rssOf } from './proc';
export { type ServiceProcess, spawnService } from './processes';
export { ReflectionClient } from './reflection';
export { type CliResult, runNode } from './run-node';
export { type Listenable, listenLocal, type Running } from './servers';
export { drain, rejectionOf, waitFor, within } from './wait';
