export { type CallError, isCallError } from './errors';
export { AUTHORIZATION_HEADER, REQUEST_ID_HEADER, SERVED_BY_HEADER } from './metadata';
export { createTlsCredentials, readPemFile, reasonOf, type TlsPems } from './tls';
