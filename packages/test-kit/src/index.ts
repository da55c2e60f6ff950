export { createDevCerts, DEV_CERTS_SCRIPT, type DevCerts } from './certs';
export { type FaultMode, FaultRelay } from './fault-relay';
export { type FrameOptions, grpcFrame, grpcMessagesOf } from './grpc-frame';
export { RawH2Connection } from './h2-connection';
export {
  CLIENT_PREFACE,
  continuationFrame,
  dataFrame,
  Flag,
  FrameType,
  type GoAway,
  goAwayOf,
  h2Frame,
  headerFrames,
  headersFrame,
  pingFrame,
  type ReceivedFrame,
  readFrames,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './h2-frames';
export { grpcStatusOf, headerBlock, hpackInteger, statusOf } from './hpack';
export { type LogLine, LogSink } from './logs';
export { closedAddress, freePort } from './net';
export { type AttributeValue, OtlpReceiver, type ReceivedRequest, type ReceivedSpan } from './otlp-receiver';
export { fdCountOf, type ProcessStats, rssOf } from './proc';
export { type ServiceProcess, spawnService } from './processes';
export { type PrometheusSample, prometheusSamples } from './prometheus-text';
export {
  lengthDelimitedField,
  tag,
  varint,
  varintField,
  WireType,
} from './protobuf-wire';
export {
  grpcRequestFields,
  grpcRequestHeaders,
  type RawOutcome,
  type RawRequest,
  rawGrpcCall,
} from './raw-grpc';
export { ReflectionClient } from './reflection';
export { type Listenable, listenLocal, type Running } from './servers';
export { drain, rejectionOf, waitFor, within } from './wait';
