import { type ChainSpan, checkChain } from '../src/trace-chains';

const TRACE = 'a'.repeat(32);
const CALLER = 'c'.repeat(16);
let next = 0;
const span = (service: string, kind: string, parentSpanId: string): ChainSpan => ({
  service,
  kind,
  parentSpanId,
  traceId: TRACE,
  spanId: (++next).toString(16).padStart(16, '0'),
  name: 'x',
});

/** An AllStream of `calls` messages: its SERVER span, and per message the Greeter call's spans. */
function allStream(calls: number, clientsPerCall: number): ChainSpan[] {
  const server = span('stream', 'SERVER', CALLER);
  const spans = [server];
  for (let call = 0; call < calls; call++) {
    let parent = server;
    for (let client = 0; client < clientsPerCall; client++) {
      parent = span('stream', 'CLIENT', parent.spanId);
      spans.push(parent);
    }
    spans.push(span('greeter', 'SERVER', parent.spanId));
  }
  return spans;
}

describe('checkChain', () => {
  it("accepts a unary or streaming call's SERVER span, child of the caller's", () => {
    expect(checkChain('SayHello', [span('greeter', 'SERVER', CALLER)], CALLER)).toEqual({
      kind: 'SayHello',
      correct: true,
      found: 'greeter:SERVER ← caller',
    });
    expect(checkChain('GetStream', [span('stream', 'SERVER', CALLER)], CALLER).correct).toBe(true);
  });

  it('rejects a missing span, one in the wrong service, and a new root', () => {
    expect(checkChain('PutStream', [], CALLER)).toMatchObject({ correct: false, found: 'no span' });
    expect(checkChain('PutStream', [span('greeter', 'SERVER', CALLER)], CALLER).correct).toBe(false);
    expect(checkChain('SayHello', [span('greeter', 'SERVER', '')], CALLER)).toMatchObject({
      correct: false,
      found: 'greeter:SERVER ← (root)',
    });
  });

  it("accepts AllStream's hop: greeter SERVER ← stream CLIENT ← AllStream SERVER ← caller, once per message", () => {
    expect(checkChain('AllStream', allStream(3, 1), CALLER, 3)).toEqual({
      kind: 'AllStream',
      correct: true,
      found: '3 × greeter:SERVER ← stream:CLIENT ← stream:SERVER ← caller',
      clientSpansPerGreeterCall: 1,
    });
  });

  it('rejects a hop without CLIENT spans, or with two per call', () => {
    expect(checkChain('AllStream', allStream(3, 0), CALLER, 3)).toMatchObject({
      correct: false,
      found: '3 × greeter:SERVER ← stream:SERVER ← caller',
      clientSpansPerGreeterCall: 0,
    });
    expect(checkChain('AllStream', allStream(2, 2), CALLER, 2)).toMatchObject({
      correct: false,
      clientSpansPerGreeterCall: 2,
    });
  });

  it('rejects a hop whose Greeter spans went to another trace (fewer than the messages)', () => {
    const spans = allStream(3, 1).filter((s, i) => !(s.service === 'greeter' && i < 4));
    expect(checkChain('AllStream', spans, CALLER, 3).correct).toBe(false);
  });
});
