import { Any, BadRequest, Code, ErrorInfo, RetryInfo, Status } from '../src';

// The wire format is what other implementations read from `grpc-status-details-bin`: field
// numbers and wire types as status.proto and any.proto define them.
describe('the generated google.rpc types', () => {
  const badRequest = BadRequest.encode({
    fieldViolations: [
      { field: 'name', description: 'must not be empty', reason: '', localizedMessage: undefined },
    ],
  }).finish();
  const status: Status = {
    code: Code.INVALID_ARGUMENT,
    message: 'name must not be empty',
    details: [{ typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Buffer.from(badRequest) }],
  };

  it('encodes a Status with a BadRequest detail in protobuf wire format', () => {
    const bytes = Buffer.from(Status.encode(status).finish());
    // field 1 (code) varint 3, then field 2 (message) length-delimited.
    expect([...bytes.subarray(0, 4)]).toEqual([0x08, 3, 0x12, 'name must not be empty'.length]);
    const decoded = Status.decode(bytes);
    expect(decoded.code).toBe(3);
    expect(decoded.details[0]?.typeUrl).toBe('type.googleapis.com/google.rpc.BadRequest');
    expect(BadRequest.decode(decoded.details[0]?.value ?? Buffer.alloc(0)).fieldViolations[0]).toMatchObject({
      field: 'name',
      description: 'must not be empty',
    });
  });

  it('round-trips a RetryInfo delay and an ErrorInfo reason', () => {
    const retry = RetryInfo.decode(
      RetryInfo.encode({ retryDelay: { seconds: 1, nanos: 500_000_000 } }).finish(),
    );
    expect(retry.retryDelay).toEqual({ seconds: 1, nanos: 500_000_000 });
    const info = ErrorInfo.decode(
      ErrorInfo.encode({ reason: 'NAME_EMPTY', domain: 'example.com', metadata: { field: 'name' } }).finish(),
    );
    expect(info).toEqual({ reason: 'NAME_EMPTY', domain: 'example.com', metadata: { field: 'name' } });
    expect(Any.decode(Any.encode({ typeUrl: 'x/y', value: Buffer.from([1]) }).finish()).typeUrl).toBe('x/y');
  });
});
