export { createStreamClient, DEFAULT_TARGET, StreamClient, type StreamClientOptions } from './client';
