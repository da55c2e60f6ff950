import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** One detail of a google.rpc.Status: a google.protobuf.Any, as it was on the wire. */
export interface RawDetail {
  /** The full message name, without the `type.googleapis.com/` prefix. */
  type: string;
  value: Uint8Array;
}

/** Most details a Status may carry here: the rest are dropped, never buffered without bound. */
const MAX_DETAILS = 32;

/**
 * The details of the google.rpc.Status in a `grpc-status-details-bin` trailer (fields 3,
 * `repeated google.protobuf.Any details`), undecoded: they are passed on as they came. The code
 * and message come from grpc-status and grpc-message. Throws on bytes that are not a Status.
 */
export function decodeStatusDetails(bytes: Uint8Array): RawDetail[] {
  const details: RawDetail[] = [];
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 3 && wireType === WireType.LengthDelimited) {
      const detail = decodeAny(reader.bytes());
      if (details.length < MAX_DETAILS) details.push(detail);
    } else {
      reader.skip(wireType, field);
    }
  }
  return details;
}

function decodeAny(bytes: Uint8Array): RawDetail {
  const reader = new BinaryReader(bytes);
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) typeUrl = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) value = reader.bytes();
    else reader.skip(wireType, field);
  }
  return { type: typeUrl.slice(typeUrl.lastIndexOf('/') + 1), value };
}
