export { StreamClient, type StreamClientOptions } from './client';
