import { allVariants, describeVariant, kustomize, render } from '../src';

// biome-ignore lint/suspicious/noExplicitAny: a test reaches into the rendered YAML
type Any = any;

describe('kubectl kustomize', () => {
  it.each(allVariants().map((v) => [describeVariant(v), v] as const))('renders %s', (_name, variant) => {
    const objects = render(variant);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/greeter',
        'Deployment/stream',
        'Deployment/gateway',
        'Service/gateway',
        'ServiceAccount/gateway',
        'Job/stream-client',
      ]),
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
    const prod = render({ overlay: 'prod', components: [] });
    const replicas = (name: string) =>
      (
        prod.find((o) => o.kind === 'Deployment' && o.metadata.name === name)?.spec as
          | { replicas?: number }
          | undefined
      )?.replicas;
    expect([replicas('greeter'), replicas('stream'), replicas('gateway')]).toEqual([3, 2, 2]);
    expect(prod.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['greeter', 'stream', 'gateway']),
    );
    expect(prod.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['default-deny-ingress', 'greeter', 'stream', 'gateway']),
    );
  });

  it('renders the gateway with HTTP probes, its http port on a ClusterIP Service, and both backends headless', () => {
    const objects = render({ overlay: 'dev', components: [] });
    const find = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name) as unknown as { spec: Any };
    const c = find('Deployment', 'gateway').spec.template.spec.containers[0];
    expect(c.image).toBe('grpc-monorepo/gateway:local');
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8080 },
      { name: 'metrics', containerPort: 9466 },
    ]);
    expect([c.startupProbe.httpGet, c.readinessProbe.httpGet, c.livenessProbe.httpGet]).toEqual([
      { path: '/healthz', port: 8080 },
      { path: '/readyz', port: 8080 },
      { path: '/healthz', port: 8080 },
    ]);
    const service = find('Service', 'gateway').spec;
    expect(service.clusterIP).toBeUndefined();
    expect(service.ports[0]).toEqual({
      name: 'http',
      port: 8080,
      targetPort: 'http',
      appProtocol: 'kubernetes.io/h2c',
    });
    expect([find('Service', 'greeter').spec.clusterIP, find('Service', 'stream').spec.clusterIP]).toEqual([
      'None',
      'None',
    ]);
  });

  it('composes components/tls with observability: scraped, probes on the plaintext health port, TLS ports not h2c', () => {
    const objects = render({ overlay: 'prod', components: ['observability', 'tls'] });
    for (const [name, port, metrics] of [
      ['greeter', 50051, 9464],
      ['stream', 50052, 9465],
      ['gateway', 8080, 9466],
    ] as const) {
      const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as {
        spec: {
          template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Any[] } };
        };
      };
      const c = d.spec.template.spec.containers[0];
      expect(d.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(metrics),
        'prometheus.io/path': '/metrics',
      });
      expect(c.ports).toEqual(expect.arrayContaining([{ name: 'health', containerPort: 8081 }]));
      const probes = [c.startupProbe, c.readinessProbe, c.livenessProbe];
      expect(probes.map((p) => (p.grpc ?? p.httpGet).port)).toEqual([8081, 8081, 8081]);
      if (name === 'gateway')
        expect(probes.map((p) => p.httpGet.path)).toEqual(['/healthz', '/readyz', '/healthz']);
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === name) as unknown as {
        spec: { ports: Any[] };
      };
      const portName = name === 'gateway' ? 'http' : 'grpc';
      expect(service.spec.ports.find((p) => p.name === portName)).toEqual({
        name: portName,
        port,
        targetPort: portName,
      });
    }
  });

  it('says that kubectl is needed when it is not on PATH', () => {
    expect(() => kustomize('.', { PATH: '/nonexistent' })).toThrow(
      'kubectl is needed to render deploy/kubernetes (kubectl kustomize), and it is not on PATH',
    );
  });
});
