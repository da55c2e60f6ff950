/**
 * The metadata both ends of a call here agree on. A client sends `x-request-id` (optional: the
 * server makes one) and `authorization: Bearer <token>` where the server asks for one; the
 * server answers with `x-request-id` and `x-served-by` (`hostname/pid`) in its response headers.
 */
export const REQUEST_ID_HEADER = 'x-request-id';
export const SERVED_BY_HEADER = 'x-served-by';
export const AUTHORIZATION_HEADER = 'authorization';
