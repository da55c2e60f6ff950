import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allVariants,
  checkAddresses,
  checkAll,
  checkCompose,
  checkEnvironment,
  checkNetworkPolicies,
  checkProbes,
  checkSecrets,
  checkSecurity,
  checkShutdown,
  checkTls,
  describeVariant,
  type K8sObject,
  KUSTOMIZE_ROOT,
  render,
} from '../src';

const composeYaml = readFileSync(join(KUSTOMIZE_ROOT, '../../docker-compose.yml'), 'utf8');
const rendered = render({ overlay: 'prod', components: ['observability'] });
const renderedTls = render({ overlay: 'prod', components: ['observability', 'tls'] });

// Loose access for mutations: the checks read typed objects, the tests break them on purpose.
// biome-ignore lint/suspicious/noExplicitAny: a test reaches anywhere into the rendered YAML
type Any = any;

/** The rendered objects (prod + observability, or `from`) with `change` applied to a copy. */
function broken(
  change: (find: (kind: string, name: string) => Any) => void,
  from: readonly K8sObject[] = rendered,
): K8sObject[] {
  const objects = structuredClone(from) as K8sObject[];
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
    it("reports a gateway liveness probe on its gRPC Check, which follows the backends'", () => {
      const objects = broken((find) => {
        container(find, 'gateway').livenessProbe = { grpc: { port: 8080 } };
      });
      expect(checkProbes(objects)).toEqual([
        "gateway/gateway: livenessProbe is not an httpGet of /healthz: its gRPC Check is SERVING only while every backend is, so a backend's outage would restart it",
      ]);
    });
    it('reports a gateway startup probe on /readyz, and accepts a gRPC readiness probe', () => {
      const objects = broken((find) => {
        const c = container(find, 'gateway');
        c.startupProbe.httpGet.path = '/readyz';
        c.readinessProbe = { grpc: { port: 8080 } };
      });
      expect(checkProbes(objects)).toEqual(['gateway/gateway: startupProbe gets /readyz, not /healthz']);
    });
    it('reports a gateway probe on a port name the container does not declare', () => {
      const objects = broken((find) => {
        container(find, 'gateway').readinessProbe.httpGet.port = 'grpc';
      });
      expect(checkProbes(objects)).toEqual([
        'gateway/gateway: readinessProbe port grpc is not a containerPort',
      ]);
    });
    it('reports a probe with two handlers, as a patch of another kind merged onto it would make', () => {
      const objects = broken((find) => {
        container(find, 'gateway').livenessProbe.grpc = { port: 8080 };
      });
      expect(checkProbes(objects)).toEqual([
        'gateway/gateway: livenessProbe has more than one handler (httpGet, grpc)',
      ]);
    });
    it('still requires gRPC probes of the gRPC services', () => {
      const objects = broken((find) => {
        container(find, 'greeter').livenessProbe = { httpGet: { path: '/healthz', port: 50051 } };
      });
      expect(checkProbes(objects)).toEqual(['greeter/greeter: livenessProbe is not a gRPC probe']);
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
    it('reports a gateway PORT that is not the containerPort named http', () => {
      const objects = broken((find) => {
        find('ConfigMap', 'gateway-config').data.PORT = '8090';
      });
      expect(checkEnvironment(objects)).toEqual([
        'gateway/gateway: PORT 8090 is not the containerPort named http',
      ]);
    });
    it('reports a gateway variable it does not read', () => {
      const objects = broken((find) => {
        find('ConfigMap', 'gateway-config').data.CORS_ORIGIN = 'https://example.com';
      });
      expect(checkEnvironment(objects)).toEqual(['gateway/gateway: CORS_ORIGIN is not read by the service']);
    });
    it('reports a gateway CORS_ORIGINS its parser rejects, and accepts one it takes', () => {
      const bad = broken((find) => {
        find('ConfigMap', 'gateway-config').data.CORS_ORIGINS = 'example.com';
      });
      expect(checkEnvironment(bad)).toEqual([
        expect.stringMatching(/^gateway\/gateway: CORS_ORIGINS must be/),
      ]);
      const good = broken((find) => {
        find('ConfigMap', 'gateway-config').data.CORS_ORIGINS = 'https://example.com';
      });
      expect(checkEnvironment(good)).toEqual([]);
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

  describe("the backends' addresses", () => {
    it('reports a Greeter Service that is not headless', () => {
      const objects = broken((find) => delete find('Service', 'greeter').spec.clusterIP);
      expect(checkAddresses(objects)).toEqual(['Service greeter is not headless (clusterIP: None)']);
    });
    it('reports a GREETER_ADDR in another namespace', () => {
      const objects = broken((find) => {
        find('ConfigMap', 'stream-config').data.GREETER_ADDR =
          'dns:///greeter.default.svc.cluster.local:50051';
      });
      expect(checkAddresses(objects)).toEqual([
        'stream/stream: GREETER_ADDR is dns:///greeter.default.svc.cluster.local:50051, not dns:///greeter.grpc-monorepo.svc.cluster.local:50051',
      ]);
    });
    it("reports the gateway's GREETER_ADDR in another namespace", () => {
      const objects = broken((find) => {
        find('ConfigMap', 'gateway-config').data.GREETER_ADDR =
          'dns:///greeter.default.svc.cluster.local:50051';
      });
      expect(checkAddresses(objects)).toEqual([
        'gateway/gateway: GREETER_ADDR is dns:///greeter.default.svc.cluster.local:50051, not dns:///greeter.grpc-monorepo.svc.cluster.local:50051',
      ]);
    });
    it("reports the gateway's STREAM_ADDR without the namespace, or on another port", () => {
      const objects = broken((find) => {
        find('ConfigMap', 'gateway-config').data.STREAM_ADDR = 'stream:50052';
        find('ConfigMap', 'clients-config').data.STREAM_ADDR =
          'dns:///stream.grpc-monorepo.svc.cluster.local:50051';
      });
      expect(checkAddresses(objects)).toEqual([
        'gateway/gateway: STREAM_ADDR is stream:50052, not dns:///stream.grpc-monorepo.svc.cluster.local:50052',
        'stream-client/stream-client: STREAM_ADDR is dns:///stream.grpc-monorepo.svc.cluster.local:50051, not dns:///stream.grpc-monorepo.svc.cluster.local:50052',
      ]);
    });
    it('reports a stream Service that is not headless: the gateway would balance connections, not calls', () => {
      const objects = broken((find) => delete find('Service', 'stream').spec.clusterIP);
      expect(checkAddresses(objects)).toEqual(['Service stream is not headless (clusterIP: None)']);
    });
    it('holds in the dev namespace too: the overlay replaces NAMESPACE in every address', () => {
      const dev = render({ overlay: 'dev', components: [] });
      const gateway = dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('gateway-config'));
      expect((gateway as Any).data).toMatchObject({
        GREETER_ADDR: 'dns:///greeter.grpc-monorepo-dev.svc.cluster.local:50051',
        STREAM_ADDR: 'dns:///stream.grpc-monorepo-dev.svc.cluster.local:50052',
      });
      expect(checkAddresses(dev)).toEqual([]);
    });
    it('reports a selector that misses the Greeter pods', () => {
      const objects = broken((find) => {
        find('Service', 'greeter').spec.selector = { 'app.kubernetes.io/name': 'greeters' };
      });
      expect(checkAddresses(objects)).toEqual([
        "Service greeter's selector does not select the greeter pods",
      ]);
    });
  });

  describe('network policies (prod)', () => {
    it("reports a caller that the backend's policy does not let in: the gateway without its peer", () => {
      const objects = broken((find) => {
        const rule = find('NetworkPolicy', 'stream').spec.ingress[0];
        rule.from = rule.from.filter(
          (peer: Any) => peer.podSelector.matchLabels['app.kubernetes.io/name'] !== 'gateway',
        );
      });
      expect(checkNetworkPolicies(objects)).toEqual([
        "Deployment gateway calls stream (STREAM_ADDR), and no NetworkPolicy lets its pods in on stream's grpc port",
      ]);
    });
    it('reports a rule on another port', () => {
      const objects = broken((find) => {
        find('NetworkPolicy', 'greeter').spec.ingress[0].ports = [{ port: 'metrics', protocol: 'TCP' }];
      });
      expect(checkNetworkPolicies(objects)).toEqual(
        ['Deployment gateway', 'Deployment stream'].map(
          (w) =>
            `${w} calls greeter (GREETER_ADDR), and no NetworkPolicy lets its pods in on greeter's grpc port`,
        ),
      );
    });
    it('has nothing to say where no policy isolates the backends (dev)', () => {
      expect(checkNetworkPolicies(render({ overlay: 'dev', components: [] }))).toEqual([]);
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
        (f) => delete container(f, 'stream-client', 'Job').securityContext.allowPrivilegeEscalation,
        'Job stream-client/stream-client: allowPrivilegeEscalation is not false',
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
        'a gateway with a writable root',
        (f) => {
          container(f, 'gateway').securityContext.readOnlyRootFilesystem = false;
        },
        'Deployment gateway/gateway: readOnlyRootFilesystem is not true',
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

  describe('TLS (components/tls)', () => {
    const tls = (change: (find: (kind: string, name: string) => Any) => void) => broken(change, renderedTls);

    it('holds as rendered, with the files the variables name absent from this machine', () => {
      expect([
        ...checkTls(renderedTls),
        ...checkSecrets(renderedTls),
        ...checkEnvironment(renderedTls),
      ]).toEqual([]);
    });
    it('reports a probe on the TLS port instead of the health port', () => {
      const objects = tls((find) => {
        container(find, 'greeter').readinessProbe.grpc.port = 50051;
      });
      expect(checkTls(objects)).toEqual([
        "greeter/greeter: readinessProbe targets port 50051, not the health port 8081: with TLS on, the kubelet's gRPC probe cannot do TLS",
      ]);
    });
    it("reports the gateway's HTTP probe on its TLS port instead of the health port", () => {
      const objects = tls((find) => {
        container(find, 'gateway').livenessProbe.httpGet.port = 8080;
      });
      expect(checkTls(objects)).toEqual([
        "gateway/gateway: livenessProbe targets port 8080, not the health port 8081: with TLS on, the kubelet's gRPC probe cannot do TLS",
      ]);
    });
    it('reports an HTTPS probe on the plaintext health port', () => {
      const objects = tls((find) => {
        container(find, 'gateway').readinessProbe.httpGet.scheme = 'HTTPS';
      });
      expect(checkTls(objects)).toEqual([
        'gateway/gateway: readinessProbe is HTTPS: the health port 8081 is plaintext',
      ]);
    });
    it("reports the gateway's STREAM_* files: a client certificate without its key, a file outside the Secret", () => {
      const noKey = tls((find) => delete find('ConfigMap', 'gateway-config').data.STREAM_KEY_FILE);
      expect(checkEnvironment(noKey)).toEqual([
        'gateway/gateway: STREAM_CERT_FILE is set, so STREAM_KEY_FILE must be too (a client certificate needs its key)',
      ]);
      const elsewhere = tls((find) => {
        find('ConfigMap', 'gateway-config').data.STREAM_CA_FILE = '/etc/ssl/ca.crt';
      });
      expect(checkTls(elsewhere)).toEqual([
        'gateway/gateway: STREAM_CA_FILE /etc/ssl/ca.crt is not inside a volume the container mounts',
      ]);
    });
    it('reports TLS without a health containerPort', () => {
      const objects = tls((find) => {
        const c = container(find, 'stream');
        c.ports = c.ports.filter((p: Any) => p.name !== 'health');
      });
      expect(checkTls(objects)).toEqual([
        "stream/stream: TLS is on (TLS_CERT_FILE) and no containerPort is named health: the kubelet's gRPC probe cannot do TLS",
      ]);
    });
    it('reports TLS without HEALTH_PORT', () => {
      const objects = tls((find) => delete find('ConfigMap', 'greeter-config').data.HEALTH_PORT);
      expect(checkTls(objects)).toEqual([
        'greeter/greeter: TLS is on (TLS_CERT_FILE) and HEALTH_PORT is not set: nothing serves health in plaintext',
      ]);
    });
    it('reports a HEALTH_PORT that is not the containerPort named health', () => {
      const objects = tls((find) => {
        find('ConfigMap', 'stream-config').data.HEALTH_PORT = '8082';
      });
      expect(checkEnvironment(objects)).toEqual([
        'stream/stream: HEALTH_PORT 8082 is not the containerPort named health (8081)',
      ]);
    });
    it("reports TLS variables the service's parser rejects together: a certificate without its key", () => {
      const objects = tls((find) => delete find('ConfigMap', 'stream-config').data.GREETER_KEY_FILE);
      expect(checkEnvironment(objects)).toEqual([
        'stream/stream: GREETER_CERT_FILE is set, so GREETER_KEY_FILE must be too (a client certificate needs its key)',
      ]);
    });
    it('reports a file outside every volume the container mounts', () => {
      const objects = tls((find) => {
        find('ConfigMap', 'greeter-config').data.TLS_CERT_FILE = '/etc/tls/tls.crt';
      });
      expect(checkTls(objects)).toEqual([
        'greeter/greeter: TLS_CERT_FILE /etc/tls/tls.crt is not inside a volume the container mounts',
      ]);
    });
    it('reports a Job whose container does not mount the Secret its GRPC_* files are in', () => {
      const objects = tls((find) => delete container(find, 'stream-client', 'Job').volumeMounts);
      expect(checkTls(objects)).toEqual(
        [
          'GRPC_CA_FILE /etc/grpc-tls/ca.crt',
          'GRPC_CERT_FILE /etc/grpc-tls/tls.crt',
          'GRPC_KEY_FILE /etc/grpc-tls/tls.key',
        ].map((file) => `stream-client/stream-client: ${file} is not inside a volume the container mounts`),
      );
    });
    it('reports a file that is not a key of the mounted Secret', () => {
      const objects = tls((find) => {
        find('ConfigMap', 'stream-config').data.GREETER_CA_FILE = '/etc/grpc-tls/ca.pem';
      });
      expect(checkTls(objects)).toEqual([
        'stream/stream: GREETER_CA_FILE /etc/grpc-tls/ca.pem: ca.pem is not in the volume grpc-tls (tls.crt, tls.key, ca.crt)',
      ]);
    });
    it('reports a mounted Secret that is neither rendered nor created by the user', () => {
      const objects = tls((find) => {
        find('Deployment', 'greeter').spec.template.spec.volumes[0].secret.secretName = 'grpc-tsl';
      });
      expect(checkSecrets(objects)).toEqual([
        'Deployment greeter: volume grpc-tls mounts the Secret grpc-tsl, which is neither rendered nor created by the user (USER_SECRETS)',
      ]);
    });
    it('accepts a mounted Secret that is rendered', () => {
      const objects = tls((find) => {
        find('Deployment', 'greeter').spec.template.spec.volumes[0].secret.secretName = 'rendered-tls';
      });
      objects.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'rendered-tls' },
        data: { 'tls.crt': '', 'tls.key': '', 'ca.crt': '' },
      });
      expect([...checkSecrets(objects), ...checkTls(objects)]).toEqual([]);
    });
    it('reports Secret files that uid 1000 cannot read: mode 0440 without an fsGroup', () => {
      const objects = tls(
        (find) => delete find('Job', 'stream-client').spec.template.spec.securityContext.fsGroup,
      );
      expect(checkSecrets(objects)).toEqual([
        'Job stream-client: the files of volume grpc-tls (mode 0440) are not readable by uid 1000: give the pod an fsGroup and the files group read',
      ]);
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
    it("reports a gateway image, or http port, that is not compose's", () => {
      const objects = broken((find) => {
        const c = container(find, 'gateway');
        c.image = 'grpc-monorepo/gw:release';
        c.ports[0].containerPort = 8090;
      });
      expect(checkCompose(objects, composeYaml)).toEqual([
        "gateway: image grpc-monorepo/gw:release is not compose's grpc-monorepo/gateway",
        "gateway: the http containerPort is not compose's PORT 8080",
      ]);
    });
    it("reports a gRPC port that is not compose's", () => {
      const objects = broken((find) => {
        container(find, 'greeter').ports[0].containerPort = 50061;
      });
      expect(checkCompose(objects, composeYaml)).toEqual([
        "greeter: the grpc containerPort is not compose's PORT 50051",
      ]);
    });
    it("reports a greeter-client command that is not compose's (dev: production has no greeter-client)", () => {
      const objects = broken(
        (find) => {
          container(find, 'greeter-client', 'Job').args = ['hello', 'Ada'];
        },
        render({ overlay: 'dev', components: [] }),
      );
      expect(checkCompose(objects, composeYaml)).toEqual([
        'greeter-client: args ["hello","Ada"] are not compose\'s command ["hello","world","--repeat","4"]',
      ]);
    });
  });
});
