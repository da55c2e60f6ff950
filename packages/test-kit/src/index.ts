export { createDevCerts, type DevCerts } from './certs';
export { type FaultMode, FaultRelay } from './fault-relay';
export { grpcFrame, grpcMessagesOf } from './grpc-frame';
export { RawH2Connection } from './h2-connection';
export {
  CLIENT_PREFACE,
  continuationFrame,
  dataFrame,
  Flag,
  FrameType,
  headerFrames,
  headersFrame,
  pingFrame,
  type ReceivedFrame,
  rstStreamFrame,
  settingsFrame,
} from './h2-frames';
export { grpcStatusOf, headerBlock, statusOf } from './hpack';
export { type LogLine, LogSink } from './logs';
export { closedAddress, freePort } from './net';
export { type AttributeValue, OtlpReceiver, type ReceivedRequest, type ReceivedSpan } from './otlp-receiver';
export { type ProcessStats, sampleRss } from './proc';
export { type ServiceProcess, spawnService } from './processes';
export { type PrometheusSample, prometheusSamples } from './prometheus-text';
export { lengthDelimitedField, varintField } from './protobuf-wire';
export { generatePythonCode, PYTHON, type PythonCodeOptions, python } from './python-codegen';
export { grpcRequestFields, grpcRequestHeaders, type RawOutcome, rawGrpcCall } from './raw-grpc';
export { ReflectionClient } from './reflection';
export { type Listenable, listenLocal, type Running } from './servers';
export { textOfWords } from './text';
export { drain, rejectionOf, waitFor, within } from './wait';
