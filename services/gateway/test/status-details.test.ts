import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { decodeStatusDetails } from '../src/status-details';

function statusBytes(details: { typeUrl: string; value: Uint8Array }[]): Uint8Array {
  const writer = new BinaryWriter();
  writer.uint32((1 << 3) | 0).int32(3);
  writer.uint32((2 << 3) | 2).string('name must not be empty');
  for (const { typeUrl, value } of details) {
    writer.uint32((3 << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string(typeUrl);
    writer.uint32((2 << 3) | 2).bytes(value);
    writer.join();
  }
  return writer.finish();
}

describe('decodeStatusDetails', () => {
  it('returns each Any of a google.rpc.Status, its type without the URL prefix', () => {
    const bytes = statusBytes([
      { typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: new Uint8Array([10, 2, 8, 1]) },
      { typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: new Uint8Array([10, 1, 65]) },
    ]);

    expect(decodeStatusDetails(bytes)).toEqual([
      { type: 'google.rpc.BadRequest', value: new Uint8Array([10, 2, 8, 1]) },
      { type: 'google.rpc.ErrorInfo', value: new Uint8Array([10, 1, 65]) },
    ]);
  });

  it('returns none for a Status without details', () => {
    expect(decodeStatusDetails(statusBytes([]))).toEqual([]);
  });

  it('throws on bytes that are not a protobuf message', () => {
    expect(() => decodeStatusDetails(new Uint8Array([0x1a, 0x7f, 1]))).toThrow();
  });
});
