import { rpcAttributesOf } from '../src/rpc';

describe('rpcAttributesOf', () => {
  it('splits a method path into OpenTelemetry’s rpc.* attributes', () => {
    expect(rpcAttributesOf('stream.v1.StreamService/AllStream')).toEqual({
      'rpc.system': 'grpc',
      'rpc.service': 'stream.v1.StreamService',
      'rpc.method': 'AllStream',
    });
  });
});
