// The error details of a failed call, decoded from its grpc-status-details-bin trailer.
export { type ErrorDetails, errorDetailsOf } from '@repo/client-kit';
export { DEFAULT_TARGET, Greeter, type GreeterClientOptions, type Greeting } from './client';
