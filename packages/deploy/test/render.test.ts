import { allVariants, describeVariant, kustomize, render } from '../src';

// biome-ignore lint/suspicious/noExplicitAny: a test reaches into the rendered YAML
type Any = any;

describe('kubectl kustomize', () => {
  it.each(allVariants().map((v) => [describeVariant(v), v] as const))('renders %s', (_name, variant) => {
    const objects = render(variant);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['Deployment/greeter', 'Deployment/stream', 'Job/stream-client']),
    );
    // Production leaves out the demo that calls the Greeter directly: only the stream service may.
    expect(names.includes('Job/greeter-client')).toBe(variant.overlay === 'dev');
    expect(
      objects.every(
        (o) =>
          o.kind === 'Namespace' ||
          o.metadata.namespace === `grpc-monorepo${variant.overlay === 'dev' ? '-dev' : ''}`,
      ),
    ).toBe(true);
  });

  it('renders the Greeter x3 with an HPA, PDBs and NetworkPolicies in prod only', () => {
    const kinds = (overlay: 'dev' | 'prod') => render({ overlay, components: [] }).map((o) => o.kind);
    expect(kinds('prod')).toEqual(
      expect.arrayContaining(['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy']),
    );
    expect(kinds('dev')).not.toEqual(expect.arrayContaining(['HorizontalPodAutoscaler']));
    const greeter = render({ overlay: 'prod', components: [] }).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'greeter',
    );
    expect((greeter?.spec as { replicas?: number } | undefined)?.replicas).toBe(3);
  });

  it('composes components/tls with observability: probes on the plaintext health port, TLS ports not h2c', () => {
    const objects = render({ overlay: 'prod', components: ['observability', 'tls'] });
    for (const [name, port] of [
      ['greeter', 50051],
      ['stream', 50052],
    ] as const) {
      const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as {
        spec: {
          template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Any[] } };
        };
      };
      const c = d.spec.template.spec.containers[0];
      expect(d.spec.template.metadata.annotations?.['prometheus.io/scrape']).toBe('true');
      expect(c.ports).toEqual(expect.arrayContaining([{ name: 'health', containerPort: 8081 }]));
      expect([c.startupProbe.grpc.port, c.readinessProbe.grpc.port, c.livenessProbe.grpc.port]).toEqual([
        8081, 8081, 8081,
      ]);
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === name) as unknown as {
        spec: { ports: Any[] };
      };
      expect(service.spec.ports.find((p) => p.name === 'grpc')).toEqual({
        name: 'grpc',
        port,
        targetPort: 'grpc',
      });
    }
  });

  it('says that kubectl is needed when it is not on PATH', () => {
    expect(() => kustomize('.', { PATH: '/nonexistent' })).toThrow(
      'kubectl is needed to render deploy/kubernetes (kubectl kustomize), and it is not on PATH',
    );
  });
});
