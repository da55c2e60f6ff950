import { type ChannelOptions, compressionAlgorithms } from '@grpc/grpc-js';

/**
 * The request encodings grpc-js can send: identity (none), deflate and gzip. Worth it for
 * large, compressible messages; a small one grows by gzip's ~20 bytes of framing. Responses
 * arrive compressed only from a server that compresses (not a grpc-js one).
 */
export const COMPRESSIONS = ['identity', 'deflate', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * The channel options that make grpc-js compress every request message with `compression`
 * (`grpc.default_compression_algorithm`); none for identity or undefined. grpc-js compresses
 * every message of every call on the channel, small ones too: it has no per-call choice and no
 * size threshold (a message can opt out with WriteFlags.NoCompress). It stops once a server's
 * `grpc-accept-encoding` leaves the encoding out; it sends the first call compressed before it
 * knows. Responses are decompressed whatever this says, when the server compressed them.
 */
export function compressionOptions(compression: Compression | undefined): ChannelOptions {
  if (compression === undefined || compression === 'identity') return {};
  return { 'grpc.default_compression_algorithm': compressionAlgorithms[compression] };
}

/** True for a name grpc-js can compress requests with. */
export function isCompression(value: string): value is Compression {
  return (COMPRESSIONS as readonly string[]).includes(value);
}
