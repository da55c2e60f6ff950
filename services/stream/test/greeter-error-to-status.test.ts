import { Metadata, status } from '@grpc/grpc-js';
import { StatusError } from '@repo/server-kit';
import { GREETER_RETRY_DELAY_MS, greeterErrorToStatus } from '../src/all-stream';

/** What a failed grpc-js client call rejects with (a ServiceError). */
function callError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

const TARGET = 'greeter.internal:50051';

describe('greeterErrorToStatus', () => {
  it("passes the Greeter's INVALID_ARGUMENT on, prefixed with the message position", () => {
    const mapped = greeterErrorToStatus(
      callError(status.INVALID_ARGUMENT, 'name must not be empty'),
      TARGET,
      2,
    );
    expect(mapped).toBeInstanceOf(StatusError);
    expect(mapped).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'message 2: name must not be empty',
      // A Greeter error without details (another language's helloworld) still gets a reason.
      reason: 'GREETER_INVALID_ARGUMENT',
    });
  });

  it('names the Greeter and its address when it is unavailable', () => {
    const mapped = greeterErrorToStatus(
      callError(status.UNAVAILABLE, 'No connection established'),
      TARGET,
      1,
    );
    expect(mapped).toBeInstanceOf(StatusError);
    expect(mapped).toMatchObject({
      code: status.UNAVAILABLE,
      details: 'greeter unavailable at greeter.internal:50051: No connection established',
      reason: 'GREETER_UNAVAILABLE',
      options: { retryDelayMs: GREETER_RETRY_DELAY_MS, info: { message: '1' } },
    });
  });

  it('reports a Greeter that missed its deadline as DEADLINE_EXCEEDED', () => {
    const mapped = greeterErrorToStatus(callError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), TARGET, 7);
    expect(mapped).toBeInstanceOf(StatusError);
    expect(mapped).toMatchObject({
      code: status.DEADLINE_EXCEEDED,
      details: 'greeter at greeter.internal:50051 did not answer in time',
      reason: 'GREETER_DEADLINE_EXCEEDED',
    });
  });

  it('returns any other Greeter failure unchanged, so that it leaves as INTERNAL without its details', () => {
    for (const code of [status.INTERNAL, status.UNKNOWN, status.PERMISSION_DENIED, status.CANCELLED]) {
      const err = callError(code, 'secret internals');
      const mapped = greeterErrorToStatus(err, TARGET, 1);
      expect(mapped).toBe(err);
      expect(mapped).not.toBeInstanceOf(StatusError);
    }
  });

  it('returns an error that is not a call error unchanged', () => {
    const err = new TypeError('boom');
    expect(greeterErrorToStatus(err, TARGET, 1)).toBe(err);
    expect(greeterErrorToStatus('a string', TARGET, 1)).toBe('a string');
  });
});
