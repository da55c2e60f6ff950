import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allVariants,
  checkAll,
  checkCompose,
  checkEnvironment,
  checkGreeterAddress,
  checkProbes,
  checkSecurity,
  checkShutdown,
  describeVariant,
  type K8sObject,
  KUSTOMIZE_ROOT,
  render,
} from '../src';

const composeYaml = readFileSync(join(KUSTOMIZE_ROOT, '../../docker-compose.yml'), 'utf8');
const rendered = render({ overlay: 'prod', components: ['observability'] });

// Loose access for mutations: the checks read typed objects, the tests break them on purpose.
// biome-ignore lint/suspicious/noExplicitAny: a test reaches anywhere into the rendered YAML
type Any = any;

/** The rendered objects with `change` applied to a copy. */
function broken(change: (find: (kind: string, name: string) => Any) => void): K8sObject[] {
  const objects = structuredClone(rendered);
  change((kind, name) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name));
    if (found === undefined) throw new Error(`no ${kind} ${name}`);
    return found;
  });
  return objects;
}
const container = (find: (kind: string, name: string) => Any, name: string, kind = 'Deployment'): Any =>
  find(kind, name).spec.template.spec.containers[0];

describe('the consistency checks', () => {
  it.each(allVariants().map((v) => [describeVariant(v), v] as const))('all hold for %s', (_name, variant) => {
    expect(checkAll(render(variant), composeYaml, variant.overlay === 'dev' ? 'local' : undefined)).toEqual(
      [],
    );
  });

  describe('probes', () => {
    it('reports a missing probe', () => {
      const objects = broken((find) => delete container(find, 'greeter').startupProbe);
      expect(checkProbes(objects)).toEqual(['greeter/greeter: no startupProbe']);
    });
    it('reports a probe that is not gRPC', () => {
      const objects = broken((find) => {
        container(find, 'stream').livenessProbe = { tcpSocket: { port: 50052 } };
      });
      expect(checkProbes(objects)).toEqual(['stream/stream: livenessProbe is not a gRPC probe']);
    });
    it('reports a probe on a port the container does not declare', () => {
      const objects = broken((find) => {
        container(find, 'greeter').readinessProbe.grpc.port = 50052;
      });
      expect(checkProbes(objects)).toEqual([
        'greeter/greeter: readinessProbe port 50052 is not a containerPort',
      ]);
    });
  });

  describe('shutdown', () => {
    it('reports a grace period that does not cover the pause and SHUTDOWN_GRACE_MS', () => {
      const objects = broken((find) => {
        find('Deployment', 'greeter').spec.template.spec.terminationGracePeriodSeconds = 15;
      });
      expect(checkShutdown(objects)).toEqual([
        'greeter: terminationGracePeriodSeconds 15 is not longer than preStop 5 s + SHUTDOWN_GRACE_MS 10 s',
      ]);
    });
    it('reports a missing preStop pause', () => {
      const objects = broken((find) => delete container(find, 'stream').lifecycle);
      expect(checkShutdown(objects)).toEqual([
        'stream/stream: no preStop sleep for the endpoint-removal race',
      ]);
    });
  });

  describe('environment', () => {
    it('reports a variable the service does not read', () => {
      const objects = broken((find) => {
        container(find, 'greeter').env.push({ name: 'GREETER_ADDR', value: 'dns:///x:1' });
      });
      expect(checkEnvironment(objects)).toEqual(['greeter/greeter: GREETER_ADDR is not read by the service']);
    });
    it("reports a value the service's own parser rejects", () => {
      const objects = broken((find) => {
        find('ConfigMap', 'stream-config').data.LOG_LEVEL = 'loud';
      });
      expect(checkEnvironment(objects)).toEqual([
        expect.stringMatching(/^stream\/stream: LOG_LEVEL must be one of/),
      ]);
    });
    it('reports a PORT that is not the grpc containerPort', () => {
      const objects = broken((find) => {
        find('ConfigMap', 'greeter-config').data.PORT = '50055';
      });
      expect(checkEnvironment(objects)).toEqual([
        'greeter/greeter: PORT 50055 is not the containerPort named grpc',
      ]);
    });
    it('reports a ConfigMap that is not rendered', () => {
      const objects = broken((find) => {
        container(find, 'greeter').envFrom[0].configMapRef.name = 'greeter-conf';
      });
      expect(checkEnvironment(objects)).toContain(
        'greeter/greeter: ConfigMap greeter-conf is not in the render',
      );
    });
  });

  describe('the Greeter address', () => {
    it('reports a Greeter Service that is not headless', () => {
      const objects = broken((find) => delete find('Service', 'greeter').spec.clusterIP);
      expect(checkGreeterAddress(objects)).toEqual(['Service greeter is not headless (clusterIP: None)']);
    });
    it('reports a GREETER_ADDR in another namespace', () => {
      const objects = broken((find) => {
        find('ConfigMap', 'stream-config').data.GREETER_ADDR =
          'dns:///greeter.default.svc.cluster.local:50051';
      });
      expect(checkGreeterAddress(objects)).toEqual([
        'stream/stream: GREETER_ADDR is dns:///greeter.default.svc.cluster.local:50051, not dns:///greeter.grpc-monorepo.svc.cluster.local:50051',
      ]);
    });
    it('reports a selector that misses the Greeter pods', () => {
      const objects = broken((find) => {
        find('Service', 'greeter').spec.selector = { 'app.kubernetes.io/name': 'greeters' };
      });
      expect(checkGreeterAddress(objects)).toEqual([
        "Service greeter's selector does not select the greeter pods",
      ]);
    });
  });

  describe('security', () => {
    const cases: [string, (find: (kind: string, name: string) => Any) => void, string][] = [
      [
        'a mounted token',
        (f) => delete f('Deployment', 'greeter').spec.template.spec.automountServiceAccountToken,
        'Deployment greeter: automountServiceAccountToken is not false',
      ],
      [
        'root allowed',
        (f) => {
          f('Deployment', 'greeter').spec.template.spec.securityContext.runAsNonRoot = false;
          container(f, 'greeter').securityContext.runAsNonRoot = false;
        },
        'Deployment greeter/greeter: runAsNonRoot is not true',
      ],
      [
        'another uid',
        (f) => {
          container(f, 'stream').securityContext.runAsUser = 0;
        },
        "Deployment stream/stream: runAsUser is not 1000 (the image's node user)",
      ],
      [
        'no seccomp profile',
        (f) => delete f('Job', 'stream-client').spec.template.spec.securityContext.seccompProfile,
        'Job stream-client/stream-client: seccompProfile is not RuntimeDefault',
      ],
      [
        'privilege escalation',
        (f) => delete container(f, 'greeter-client', 'Job').securityContext.allowPrivilegeEscalation,
        'Job greeter-client/greeter-client: allowPrivilegeEscalation is not false',
      ],
      [
        'a writable root',
        (f) => {
          container(f, 'greeter').securityContext.readOnlyRootFilesystem = false;
        },
        'Deployment greeter/greeter: readOnlyRootFilesystem is not true',
      ],
      [
        'capabilities kept',
        (f) => {
          container(f, 'stream').securityContext.capabilities.drop = ['NET_RAW'];
        },
        'Deployment stream/stream: capabilities do not drop ALL',
      ],
      [
        'no memory limit',
        (f) => delete container(f, 'greeter').resources.limits.memory,
        'Deployment greeter/greeter: no memory limit',
      ],
    ];
    it.each(cases)('reports %s', (_name, change, problem) => {
      expect(checkSecurity(broken(change))).toEqual([problem]);
    });
  });

  describe('docker-compose.yml', () => {
    it('reports an image that is not compose’s', () => {
      const objects = broken((find) => {
        container(find, 'stream').image = 'grpc-monorepo/streams:local';
      });
      expect(checkCompose(objects, composeYaml)).toEqual([
        "stream: image grpc-monorepo/streams:local is not compose's grpc-monorepo/stream",
      ]);
    });
    it("reports a tag that is not compose's default, where one is required", () => {
      expect(checkCompose(rendered, composeYaml, 'local')).toContain(
        'greeter: image tag release is not local (compose: local)',
      );
    });
    it("reports a gRPC port that is not compose's", () => {
      const objects = broken((find) => {
        container(find, 'greeter').ports[0].containerPort = 50061;
      });
      expect(checkCompose(objects, composeYaml)).toEqual([
        "greeter: the grpc containerPort is not compose's PORT 50051",
      ]);
    });
    it("reports a greeter-client command that is not compose's", () => {
      const objects = broken((find) => {
        container(find, 'greeter-client', 'Job').args = ['hello', 'Ada'];
      });
      expect(checkCompose(objects, composeYaml)).toEqual([
        'greeter-client: args ["hello","Ada"] are not compose\'s command ["hello","world","--repeat","4"]',
      ]);
    });
  });
});
