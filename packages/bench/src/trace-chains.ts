/** A span as an OTLP receiver got it: what the parent-chain check reads (test-kit's ReceivedSpan). */
export interface ChainSpan {
  /** `service.name` of the process that exported it. */
  service: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: string;
}

/** The four kinds of call, each made once, each in its own trace, under a caller's span. */
export type CallKind = 'SayHello' | 'GetStream' | 'PutStream' | 'AllStream';

export interface ChainVerdict {
  kind: CallKind;
  /** The parent chain is the one the kits produce (see checkChain). */
  correct: boolean;
  /** What was found, for the report: the spans' chains, leaf first. */
  found: string;
  /** AllStream: CLIENT spans the stream service made per Greeter call (1 when correct). */
  clientSpansPerGreeterCall?: number;
}

/** `service:KIND`, or `caller` for the span the call was made under. */
function labelOf(span: ChainSpan | undefined, callerSpanId: string, parentSpanId: string): string {
  if (span) return `${span.service}:${span.kind}`;
  if (parentSpanId === callerSpanId) return 'caller';
  return parentSpanId === '' ? '(root)' : '(missing parent)';
}

/** Every span's chain up to the caller (or a missing parent), e.g. `greeter:SERVER ← stream:CLIENT ← …`. */
function chainOf(span: ChainSpan, byId: Map<string, ChainSpan>, callerSpanId: string): string {
  const labels = [`${span.service}:${span.kind}`];
  let parentId = span.parentSpanId;
  for (let depth = 0; depth < 10; depth++) {
    const parent = byId.get(parentId);
    labels.push(labelOf(parent, callerSpanId, parentId));
    if (!parent) break;
    parentId = parent.parentSpanId;
  }
  return labels.join(' ← ');
}

/** The chains of the spans nobody is the child of, counted: `3 × greeter:SERVER ← …`. */
function leafChainsOf(
  spans: readonly ChainSpan[],
  byId: Map<string, ChainSpan>,
  callerSpanId: string,
): string {
  const parents = new Set(spans.map((span) => span.parentSpanId));
  const counts = new Map<string, number>();
  for (const span of spans) {
    if (parents.has(span.spanId)) continue;
    const chain = chainOf(span, byId, callerSpanId);
    counts.set(chain, (counts.get(chain) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no span';
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([chain, count]) => (count === 1 ? chain : `${count} × ${chain}`))
    .join('; ');
}

/**
 * Whether the spans of one call's trace (`spans`: everything received with its trace id) chain
 * up to the caller as the kits' own tracing makes them (packages/stack/test/traces.test.ts):
 * - SayHello: one greeter SERVER span, child of the caller's span;
 * - GetStream, PutStream: one stream SERVER span, child of the caller's span;
 * - AllStream with `greeterCalls` messages: one stream SERVER span, child of the caller's; one
 *   greeter SERVER span per message, each the child of a stream CLIENT span that is itself the
 *   child of that AllStream SERVER span; and no other CLIENT span.
 */
export function checkChain(
  kind: CallKind,
  spans: readonly ChainSpan[],
  callerSpanId: string,
  greeterCalls = 0,
): ChainVerdict {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const servedBy = kind === 'SayHello' ? 'greeter' : 'stream';
  const servers = spans.filter((span) => span.kind === 'SERVER' && span.service === servedBy);
  const found = leafChainsOf(spans, byId, callerSpanId);
  const served = servers.length === 1 && servers[0]?.parentSpanId === callerSpanId ? servers[0] : undefined;
  if (kind !== 'AllStream') {
    return { kind, correct: served !== undefined && spans.length === 1, found };
  }
  const clients = spans.filter((span) => span.kind === 'CLIENT' && span.service === 'stream');
  const greeterServers = spans.filter((span) => span.kind === 'SERVER' && span.service === 'greeter');
  const chained = greeterServers.filter((span) => {
    const client = byId.get(span.parentSpanId);
    return client?.kind === 'CLIENT' && client.service === 'stream' && client.parentSpanId === served?.spanId;
  });
  return {
    kind,
    correct:
      served !== undefined &&
      greeterServers.length === greeterCalls &&
      chained.length === greeterCalls &&
      clients.length === greeterCalls,
    found,
    clientSpansPerGreeterCall: greeterCalls > 0 ? clients.length / greeterCalls : Number.NaN,
  };
}
