import { allVariants, describeVariant, kustomize, render } from '../src';

describe('kubectl kustomize', () => {
  it.each(allVariants().map((v) => [describeVariant(v), v] as const))('renders %s', (_name, variant) => {
    const objects = render(variant);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Deployment/greeter',
        'Deployment/stream',
        'Job/greeter-client',
        'Job/stream-client',
      ]),
    );
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

  it('says that kubectl is needed when it is not on PATH', () => {
    expect(() => kustomize('.', { PATH: '/nonexistent' })).toThrow(
      'kubectl is needed to render deploy/kubernetes (kubectl kustomize), and it is not on PATH',
    );
  });
});
