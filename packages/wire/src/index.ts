export { type CallError, isCallError } from './errors';
export { AUTHORIZATION_HEADER, REQUEST_ID_HEADER, SERVED_BY_HEADER } from './metadata';
export {
  decodeRpcStatus,
  type ErrorDetails,
  encodeRpcStatus,
  errorDetailsOf,
  type FieldViolation,
  packErrorDetails,
  type RpcStatus,
  STATUS_DETAILS_HEADER,
} from './status-details';
export { createTlsCredentials, readPemFile, reasonOf, type TlsPems } from './tls';
