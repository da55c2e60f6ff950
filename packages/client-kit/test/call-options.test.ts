import { Metadata } from '@grpc/grpc-js';
import { toGrpcCall } from '../src';

describe('toGrpcCall', () => {
  it('sends no deadline and no metadata when given no options', () => {
    const { metadata, callOptions } = toGrpcCall();

    expect(metadata.getMap()).toEqual({});
    expect(callOptions).toEqual({});
  });

  it('turns timeoutMs into a deadline that many milliseconds from now', () => {
    const before = Date.now();
    const { callOptions } = toGrpcCall({ timeoutMs: 1_500 });

    expect(callOptions.deadline).toBeGreaterThanOrEqual(before + 1_500);
    expect(callOptions.deadline).toBeLessThanOrEqual(Date.now() + 1_500);
  });

  it('keeps the earlier of deadline and timeoutMs', () => {
    const soon = new Date(Date.now() + 100);

    expect(toGrpcCall({ deadline: soon, timeoutMs: 60_000 }).callOptions.deadline).toBe(soon.getTime());
    expect(
      toGrpcCall({ deadline: new Date(Date.now() + 60_000), timeoutMs: 100 }).callOptions.deadline,
    ).toBeLessThan(Date.now() + 1_000);
  });

  it('sends the request id as x-request-id, with the other metadata', () => {
    const { metadata } = toGrpcCall({ requestId: 'req-1', metadata: { 'x-tenant': 'blue' } });

    expect(metadata.getMap()).toEqual({ 'x-request-id': 'req-1', 'x-tenant': 'blue' });
  });

  it('copies a Metadata object rather than changing the caller’s', () => {
    const given = new Metadata();
    given.set('x-tenant', 'blue');

    const { metadata } = toGrpcCall({ metadata: given, requestId: 'req-2' });

    expect(metadata.getMap()).toEqual({ 'x-tenant': 'blue', 'x-request-id': 'req-2' });
    expect(given.getMap()).toEqual({ 'x-tenant': 'blue' });
  });

  it('sends the token as an authorization bearer header', () => {
    const { metadata } = toGrpcCall({ token: 'test-token-0123456789' });

    expect(metadata.get('authorization')).toEqual(['Bearer test-token-0123456789']);
  });
});
