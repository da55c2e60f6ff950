import {
  allVariants,
  describeVariant,
  type K8sObject,
  render,
  SCHEMA,
  validateAll,
  validateObject,
} from '../src';

const prod = render({ overlay: 'prod', components: ['observability'] });
const greeter = () =>
  structuredClone(prod.find((o) => o.kind === 'Deployment' && o.metadata.name === 'greeter')) as K8sObject & {
    spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
  };

describe(`the Kubernetes ${SCHEMA.kubernetes} API schema (${SCHEMA.library})`, () => {
  it.each(allVariants().map((v) => [describeVariant(v), v] as const))(
    'accepts every object of %s',
    (_name, variant) => {
      expect(validateAll(render(variant))).toEqual([]);
    },
  );

  it('rejects a wrong type: replicas: "3"', () => {
    const d = greeter();
    d.spec.replicas = '3';
    expect(validateObject(d)).toEqual([expect.stringMatching(/spec\/replicas must be integer/)]);
  });

  it('rejects an unknown field: a misspelled readinesProbe', () => {
    const d = greeter();
    const container = d.spec.template.spec.containers[0] as Record<string, unknown>;
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    expect(validateObject(d)).toEqual([
      'Deployment/greeter: unknown field /spec/template/spec/containers/0/readinesProbe',
    ]);
  });

  it('rejects an unknown field deep in a probe, and a missing required field', () => {
    const d = greeter();
    const container = d.spec.template.spec.containers[0] as {
      livenessProbe: { grpc: Record<string, unknown> };
    };
    container.livenessProbe.grpc.prot = 50051;
    expect(validateObject(d)).toEqual([
      'Deployment/greeter: unknown field /spec/template/spec/containers/0/livenessProbe/grpc/prot',
    ]);
    delete container.livenessProbe.grpc.prot;
    delete container.livenessProbe.grpc.port;
    expect(validateObject(d)).toEqual([expect.stringMatching(/grpc must have required property port$/)]);
  });

  it('finds an unknown field at every place in every object but a map', () => {
    // Every plain object in the render gets a field no schema has; only the maps that take any
    // key (resource names in requests/limits) let it through: `1` is a valid quantity.
    const missed: string[] = [];
    for (const object of prod) {
      const places: string[][] = [];
      const walk = (value: unknown, path: string[]): void => {
        if (value === null || typeof value !== 'object') return;
        if (!Array.isArray(value)) places.push(path);
        for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      };
      walk(object, []);
      for (const path of places) {
        const copy = structuredClone(object);
        const target = path.reduce<Record<string, unknown>>(
          (o, key) => o[key] as Record<string, unknown>,
          copy,
        );
        target.zzUnknown = 1;
        if (validateObject(copy).length === 0) missed.push(path.slice(-1).join());
      }
    }
    expect(new Set(missed)).toEqual(new Set(['limits', 'requests']));
  });

  it('leaves maps open: any label or ConfigMap key is allowed', () => {
    const d = greeter();
    d.metadata.labels = { ...d.metadata.labels, 'example.com/anything': 'x' };
    expect(validateObject(d)).toEqual([]);
  });

  it('rejects a kind it has no schema for', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'Pods', metadata: { name: 'x' } })).toEqual([
      'Pods/x: no schema for v1 Pods',
    ]);
  });
});
