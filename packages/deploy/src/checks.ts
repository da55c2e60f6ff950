import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { parse } from 'yaml';
import { containerPortOf, deployments, environmentOf, ofKind, services, workloads } from './objects';
import type { K8sObject } from './render';
import {
  BACKENDS,
  FILE_VARIABLE,
  isStandardVariable,
  portNameOf,
  READERS,
  readServiceConfig,
  USER_SECRETS,
  variablesReadBy,
} from './services';

/**
 * Checks of what the API schema cannot say. Each takes the rendered objects of one variant and
 * returns its problems, one sentence each; an empty list: it holds.
 */

const PROBES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;
type ProbeKind = (typeof PROBES)[number];

/**
 * An `http` service's (portNameOf: the gateway's) HTTP probes: startup and liveness GET
 * /healthz, 200 while the process runs; readiness GET /readyz, 503 while a backend is not
 * SERVING or from SIGTERM on (its gRPC Check says the same, so a gRPC readiness probe is as
 * good). Not /readyz or Check for liveness: a backend's outage would restart every gateway.
 */
const HTTP_PROBE_PATHS: Record<ProbeKind, string> = {
  startupProbe: '/healthz',
  readinessProbe: '/readyz',
  livenessProbe: '/healthz',
};

/** The port a probe targets: its gRPC port, or its httpGet port (a number or a name). */
function probePort(probe: IProbe | undefined): number | string | undefined {
  return probe?.grpc?.port ?? probe?.httpGet?.port;
}

/**
 * Every Deployment container has startup, readiness and liveness probes on a declared
 * containerPort: gRPC for a `grpc` service; for an `http` one (the gateway), HTTP_PROBE_PATHS
 * (readiness may be gRPC instead).
 */
export function checkProbes(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter((w) => w.kind === 'Deployment')) {
    const http = portNameOf(w.name) === 'http';
    for (const c of w.pod.containers) {
      const at = `${w.name}/${c.name}`;
      for (const kind of PROBES) {
        const probe = c[kind];
        if (probe === undefined) {
          problems.push(`${at}: no ${kind}`);
          continue;
        }
        const path = HTTP_PROBE_PATHS[kind];
        const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter(
          (h) => probe[h] !== undefined,
        );
        // The API server rejects it; the schema does not say so. A components/tls patch of one
        // kind merged onto a base probe of another would make it.
        if (handlers.length > 1)
          problems.push(`${at}: ${kind} has more than one handler (${handlers.join(', ')})`);
        else if (!http && probe.grpc === undefined) problems.push(`${at}: ${kind} is not a gRPC probe`);
        else if (http && probe.httpGet === undefined && !(kind === 'readinessProbe' && probe.grpc)) {
          problems.push(
            `${at}: ${kind} is not an httpGet of ${path}${probe.grpc ? ": its gRPC Check is SERVING only while every backend is, so a backend's outage would restart it" : ''}`,
          );
        } else if (http && probe.httpGet !== undefined && probe.httpGet.path !== path) {
          problems.push(`${at}: ${kind} gets ${probe.httpGet.path ?? '/'}, not ${path}`);
        } else if (containerPortOf(c, probePort(probe)) === undefined) {
          problems.push(`${at}: ${kind} port ${probePort(probe)} is not a containerPort`);
        }
      }
    }
  }
  return problems;
}

/**
 * Shutdown fits: terminationGracePeriodSeconds is longer than the preStop pause plus
 * SHUTDOWN_GRACE_MS (the kubelet counts the pause in the grace period), and there is a pause.
 */
export function checkShutdown(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects).filter((w) => w.kind === 'Deployment')) {
    const read = READERS[w.name];
    for (const c of w.pod.containers) {
      if (read === undefined) continue;
      const pause = c.lifecycle?.preStop?.sleep?.seconds;
      if (pause === undefined)
        problems.push(`${w.name}/${c.name}: no preStop sleep for the endpoint-removal race`);
      let graceS: number;
      try {
        graceS = readServiceConfig(read, environmentOf(objects, c).env).shutdownGraceMs / 1000;
      } catch {
        continue; // checkEnvironment reports a value the parser rejects
      }
      const period = w.pod.terminationGracePeriodSeconds ?? 30;
      if (period <= (pause ?? 0) + graceS) {
        problems.push(
          `${w.name}: terminationGracePeriodSeconds ${period} is not longer than preStop ${pause ?? 0} s + SHUTDOWN_GRACE_MS ${graceS} s`,
        );
      }
    }
  }
  return problems;
}

/**
 * Every variable a Deployment sets is one its service reads (found by running the service's own
 * parser), or a standard OTEL_* one; the parser accepts the values (the TLS files: see
 * readServiceConfig); the ports it reads are the container's `grpc` (`http`: portNameOf) and
 * `metrics` ports, and
 * HEALTH_PORT, when set or when the container declares a `health` port, is that port.
 */
export function checkEnvironment(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const d of deployments(objects)) {
    const read = READERS[d.metadata.name];
    if (read === undefined) {
      problems.push(`Deployment ${d.metadata.name}: no service parser is known for it`);
      continue;
    }
    const known = variablesReadBy(read);
    for (const c of d.spec?.template.spec?.containers ?? []) {
      const { env, missing } = environmentOf(objects, c);
      for (const m of missing) problems.push(`${d.metadata.name}/${c.name}: ${m} is not in the render`);
      for (const name of Object.keys(env)) {
        if (!known.has(name) && !isStandardVariable(name)) {
          problems.push(`${d.metadata.name}/${c.name}: ${name} is not read by the service`);
        }
      }
      try {
        const config = readServiceConfig(read, env);
        const portName = portNameOf(d.metadata.name);
        if (containerPortOf(c, portName)?.containerPort !== config.port) {
          problems.push(
            `${d.metadata.name}/${c.name}: PORT ${config.port} is not the containerPort named ${portName}`,
          );
        }
        if (containerPortOf(c, 'metrics')?.containerPort !== config.metricsPort) {
          problems.push(
            `${d.metadata.name}/${c.name}: METRICS_PORT ${config.metricsPort} is not the containerPort named metrics`,
          );
        }
        const health = containerPortOf(c, 'health')?.containerPort;
        const healthPort = config.healthPort ?? 0;
        if ((healthPort > 0 || health !== undefined) && health !== healthPort) {
          problems.push(
            `${d.metadata.name}/${c.name}: HEALTH_PORT ${healthPort} is not the containerPort named health (${health ?? 'none'})`,
          );
        }
      } catch (err: unknown) {
        problems.push(`${d.metadata.name}/${c.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return problems;
}

/**
 * Each backend (BACKENDS: the Greeter, the stream service) has a headless Service that selects
 * its pods on its gRPC port, and every workload's <NAME>_ADDR (the stream service's, the
 * gateway's, the clients') is exactly dns:///<name>.<its namespace>.svc.cluster.local:<that
 * port>: grpc-js resolves every pod's address and balances calls over them.
 */
export function checkAddresses(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const [variable, name] of Object.entries(BACKENDS)) {
    const service = services(objects).find((s) => s.metadata.name === name);
    const backend = workloads(objects).find((w) => w.kind === 'Deployment' && w.name === name);
    if (service === undefined || backend === undefined) {
      problems.push(`no Service and Deployment named ${name}`);
      continue;
    }
    if (service.spec?.clusterIP !== 'None')
      problems.push(`Service ${name} is not headless (clusterIP: None)`);
    const selector = service.spec?.selector ?? {};
    if (
      Object.entries(selector).some(([k, v]) => backend.labels[k] !== v) ||
      Object.keys(selector).length === 0
    ) {
      problems.push(`Service ${name}'s selector does not select the ${name} pods`);
    }
    const grpc = service.spec?.ports?.find((p) => p.name === 'grpc');
    const container = backend.pod.containers[0];
    if (
      grpc === undefined ||
      container === undefined ||
      containerPortOf(container, grpc.targetPort)?.containerPort !== grpc.port
    ) {
      problems.push(
        `Service ${name}'s grpc port is not the ${name} container's grpc port (port = targetPort)`,
      );
    }
    const expected = `dns:///${name}.${service.metadata.namespace}.svc.cluster.local:${grpc?.port}`;
    for (const w of workloads(objects)) {
      for (const c of w.pod.containers) {
        const addr = environmentOf(objects, c).env[variable];
        if (addr !== undefined && addr !== expected) {
          problems.push(`${w.name}/${c.name}: ${variable} is ${addr}, not ${expected}`);
        }
      }
    }
  }
  return problems;
}

/**
 * Where NetworkPolicies isolate a backend's pods (prod), one of them lets each Deployment that
 * addresses it (<NAME>_ADDR, BACKENDS) in on its grpc port: a caller added without its policy
 * would be refused there, and only there. Deployments only: what a service reads is known
 * (checkEnvironment), while the Jobs share clients-config, so a Job's GREETER_ADDR does not say
 * that it calls the Greeter. Peers are matched on podSelector.matchLabels in the
 * policy's namespace (a peer with a namespaceSelector or an ipBlock is not counted).
 */
export function checkNetworkPolicies(objects: readonly K8sObject[]): string[] {
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy');
  const matches = (
    selector: { matchLabels?: Record<string, string> } | undefined,
    labels: Record<string, string>,
  ) =>
    Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (selector as { matchExpressions?: unknown[] } | undefined)?.matchExpressions === undefined;
  const problems: string[] = [];
  for (const [variable, name] of Object.entries(BACKENDS)) {
    const backend = workloads(objects).find((w) => w.kind === 'Deployment' && w.name === name);
    const port = backend?.pod.containers[0] && containerPortOf(backend.pod.containers[0], 'grpc');
    if (backend === undefined || port === undefined) continue;
    const isolating = policies.filter(
      (p) =>
        matches(p.spec?.podSelector, backend.labels) &&
        (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress'),
    );
    if (isolating.length === 0) continue;
    for (const w of workloads(objects).filter((w) => w.kind === 'Deployment')) {
      if (!w.pod.containers.some((c) => environmentOf(objects, c).env[variable] !== undefined)) continue;
      const admitted = isolating.some((p) =>
        (p.spec?.ingress ?? []).some(
          (rule) =>
            (rule.ports === undefined ||
              rule.ports.length === 0 ||
              rule.ports.some(
                (r) =>
                  (r.protocol ?? 'TCP') === 'TCP' &&
                  (r.port === undefined || r.port === port.name || r.port === port.containerPort),
              )) &&
            (rule.from === undefined ||
              rule.from.length === 0 ||
              rule.from.some(
                (peer) =>
                  peer.podSelector !== undefined &&
                  peer.namespaceSelector === undefined &&
                  peer.ipBlock === undefined &&
                  matches(peer.podSelector, w.labels),
              )),
        ),
      );
      if (!admitted) {
        problems.push(
          `${w.kind} ${w.name} calls ${name} (${variable}), and no NetworkPolicy lets its pods in on ${name}'s grpc port`,
        );
      }
    }
  }
  return problems;
}

/** What every pod must hold, container by container. */
export function checkSecurity(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.pod;
    const where = `${w.kind} ${w.name}`;
    if (pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken is not false`);
    if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) {
      problems.push(`${where}: shares a host namespace`);
    }
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const at = `${where}/${c.name}`;
      const s = { ...pod.securityContext, ...c.securityContext };
      if (s.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (s.runAsUser !== 1000) problems.push(`${at}: runAsUser is not 1000 (the image's node user)`);
      if (s.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${at}: seccompProfile is not RuntimeDefault`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (c.securityContext?.privileged === true) problems.push(`${at}: privileged`);
      if (!(c.securityContext?.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${at}: capabilities do not drop ALL`);
      if ((c.securityContext?.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined)
            problems.push(`${at}: no ${resource} ${kind.slice(0, -1)}`);
        }
      }
    }
  }
  return problems;
}

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  command?: string[];
}

/**
 * The images are docker-compose.yml's (the same repository; with `tag`, also that tag, the one
 * compose gives them by default), the services (and the gateway) listen on compose's PORT, and
 * the greeter-client runs compose's command. The services, the gateway and the stream-client
 * Job must be rendered; the
 * greeter-client Job may be left out (production leaves it out: only the stream service may
 * call the Greeter there).
 */
export function checkCompose(objects: readonly K8sObject[], composeYaml: string, tag?: string): string[] {
  const compose = parse(composeYaml) as { services: Record<string, ComposeService> };
  const problems: string[] = [];
  for (const name of ['greeter', 'stream', 'gateway', 'greeter-client', 'stream-client']) {
    const want = compose.services[name];
    const w = workloads(objects).find((w) => w.name === name);
    const c = w?.pod.containers[0];
    if (c === undefined && name === 'greeter-client') continue;
    if (want?.image === undefined || c === undefined) {
      problems.push(`${name}: not in both docker-compose.yml and the render`);
      continue;
    }
    // grpc-monorepo/greeter:${IMAGE_TAG:-local} -> grpc-monorepo/greeter, local
    const match = /^([^:$]+):\$\{[A-Z_]+:-([^}]+)\}$/.exec(want.image);
    const [repository, composeTag] = [match?.[1] ?? want.image, match?.[2]];
    const [image, imageTag] = (c.image ?? '').split(':');
    if (image !== repository) problems.push(`${name}: image ${c.image} is not compose's ${repository}`);
    if (tag !== undefined && (imageTag !== tag || composeTag !== tag)) {
      problems.push(`${name}: image tag ${imageTag} is not ${tag} (compose: ${composeTag})`);
    }
    const port = want.environment?.PORT;
    const portName = portNameOf(name);
    if (port !== undefined && containerPortOf(c, portName)?.containerPort !== Number(port)) {
      problems.push(`${name}: the ${portName} containerPort is not compose's PORT ${port}`);
    }
    if (name === 'greeter-client' && JSON.stringify(c.args) !== JSON.stringify(want.command)) {
      problems.push(
        `${name}: args ${JSON.stringify(c.args)} are not compose's command ${JSON.stringify(want.command)}`,
      );
    }
  }
  return problems;
}

/**
 * With TLS on (TLS_CERT_FILE set), a Deployment's container serves health in plaintext on a
 * second port, since the kubelet's gRPC probe cannot do TLS: it declares a containerPort named
 * `health`, sets HEALTH_PORT (checkEnvironment: to that port), and its three probes (gRPC, or
 * the gateway's HTTP ones) target it, not the TLS port. In every pod, each variable naming a PEM
 * file (FILE_VARIABLE: TLS_*, GREETER_*, STREAM_*, GRPC_*) points inside a volume the container mounts, at a key of the Secret or
 * ConfigMap there.
 */
export function checkTls(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const read = READERS[w.name];
    for (const c of [...(w.pod.initContainers ?? []), ...w.pod.containers]) {
      const at = `${w.name}/${c.name}`;
      const { env } = environmentOf(objects, c);
      if (w.kind === 'Deployment' && env.TLS_CERT_FILE?.trim()) {
        const health = containerPortOf(c, 'health');
        if (health === undefined) {
          problems.push(
            `${at}: TLS is on (TLS_CERT_FILE) and no containerPort is named health: the kubelet's gRPC probe cannot do TLS`,
          );
        } else {
          let healthPort: number | undefined;
          try {
            healthPort = read === undefined ? undefined : (readServiceConfig(read, env).healthPort ?? 0);
          } catch {
            // checkEnvironment reports a value the parser rejects.
          }
          if (healthPort === 0) {
            problems.push(
              `${at}: TLS is on (TLS_CERT_FILE) and HEALTH_PORT is not set: nothing serves health in plaintext`,
            );
          }
          for (const kind of PROBES) {
            const port = probePort(c[kind]);
            if (port !== undefined && containerPortOf(c, port)?.containerPort !== health.containerPort) {
              problems.push(
                `${at}: ${kind} targets port ${port}, not the health port ${health.containerPort}: with TLS on, the kubelet's gRPC probe cannot do TLS`,
              );
            }
            if (c[kind]?.httpGet?.scheme === 'HTTPS') {
              problems.push(`${at}: ${kind} is HTTPS: the health port ${health.containerPort} is plaintext`);
            }
          }
        }
      }
      for (const [name, path] of Object.entries(env)) {
        if (!FILE_VARIABLE.test(name) || path.trim() === '') continue;
        const mount = (c.volumeMounts ?? [])
          .filter((m) => path.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`))
          .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        if (mount === undefined) {
          problems.push(`${at}: ${name} ${path} is not inside a volume the container mounts`);
          continue;
        }
        const volume = (w.pod.volumes ?? []).find((v) => v.name === mount.name);
        if (volume === undefined) {
          problems.push(
            `${at}: ${name} ${path} is in the mount ${mount.name}, which is no volume of the pod`,
          );
          continue;
        }
        const keys = mount.subPath ? undefined : filesOf(objects, volume);
        const file = path.slice(mount.mountPath.replace(/\/+$/, '').length + 1);
        if (keys !== undefined && !keys.includes(file)) {
          problems.push(
            `${at}: ${name} ${path}: ${file} is not in the volume ${mount.name} (${keys.join(', ') || 'empty'})`,
          );
        }
      }
    }
  }
  return problems;
}

/**
 * Every Secret a pod mounts (secret and projected volumes) or reads (secretKeyRef, secretRef),
 * unless optional, is rendered or one the user creates (USER_SECRETS, as the README says), with
 * the key read; a volume's files are readable by uid 1000: world-readable (defaultMode, 0644
 * when unset), or group-readable with the pod's fsGroup (the files' group then).
 */
export function checkSecrets(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const where = `${w.kind} ${w.name}`;
    const need = (what: string, name: string | undefined, optional: boolean | undefined, key?: string) => {
      if (optional === true) return;
      const keys = secretKeys(objects, name ?? '');
      if (keys === undefined) {
        problems.push(
          `${where}: ${what} the Secret ${name}, which is neither rendered nor created by the user (USER_SECRETS)`,
        );
      } else if (key !== undefined && !keys.includes(key)) {
        problems.push(`${where}: ${what} the key ${key} of the Secret ${name}, which has ${keys.join(', ')}`);
      }
    };
    for (const v of w.pod.volumes ?? []) {
      if (v.secret !== undefined) need(`volume ${v.name} mounts`, v.secret.secretName, v.secret.optional);
      for (const s of v.projected?.sources ?? []) {
        if (s.secret !== undefined) need(`volume ${v.name} mounts`, s.secret.name, s.secret.optional);
      }
      const mode = v.secret?.defaultMode ?? v.projected?.defaultMode ?? v.configMap?.defaultMode;
      const files = v.secret ?? v.projected ?? v.configMap;
      if (files !== undefined) {
        const m = mode ?? 0o644;
        const readable =
          (m & 0o004) !== 0 || (w.pod.securityContext?.fsGroup !== undefined && (m & 0o040) !== 0);
        if (!readable) {
          problems.push(
            `${where}: the files of volume ${v.name} (mode 0${m.toString(8)}) are not readable by uid 1000: give the pod an fsGroup and the files group read`,
          );
        }
      }
    }
    for (const c of [...(w.pod.initContainers ?? []), ...w.pod.containers]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref !== undefined) need(`${c.name} ${e.name} reads`, ref.name, ref.optional, ref.key);
      }
      for (const s of c.envFrom ?? []) {
        if (s.secretRef !== undefined)
          need(`${c.name} envFrom reads`, s.secretRef.name, s.secretRef.optional);
      }
    }
  }
  return problems;
}

/** The keys of a Secret: rendered, or one the user creates; undefined when neither. */
function secretKeys(objects: readonly K8sObject[], name: string): readonly string[] | undefined {
  const secret = ofKind<ISecret>(objects, 'Secret').find((s) => s.metadata.name === name);
  if (secret !== undefined)
    return [...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})];
  return USER_SECRETS[name];
}

/** The file names in a secret, configMap or projected volume (undefined: another kind, or a Secret not known). */
function filesOf(objects: readonly K8sObject[], volume: IVolume): string[] | undefined {
  const configMapKeys = (name: string | undefined) =>
    Object.keys(
      ofKind<{ data?: Record<string, string> }>(objects, 'ConfigMap').find((c) => c.metadata.name === name)
        ?.data ?? {},
    );
  const of = (
    items: { key: string; path: string }[] | undefined,
    keys: readonly string[] | undefined,
  ): string[] | undefined =>
    items !== undefined ? items.map((i) => i.path) : keys === undefined ? undefined : [...keys];
  if (volume.secret !== undefined)
    return of(volume.secret.items, secretKeys(objects, volume.secret.secretName ?? ''));
  if (volume.configMap !== undefined) return of(volume.configMap.items, configMapKeys(volume.configMap.name));
  if (volume.projected !== undefined) {
    const all: string[] = [];
    for (const s of volume.projected.sources ?? []) {
      const files =
        s.secret !== undefined
          ? of(s.secret.items, secretKeys(objects, s.secret.name ?? ''))
          : s.configMap !== undefined
            ? of(s.configMap.items, configMapKeys(s.configMap.name))
            : [];
      if (files === undefined) return undefined;
      all.push(...files);
    }
    return all;
  }
  return undefined;
}

/** Every check above (compose's with the dev overlay's tag where given). */
export function checkAll(objects: readonly K8sObject[], composeYaml: string, tag?: string): string[] {
  return [
    ...checkProbes(objects),
    ...checkShutdown(objects),
    ...checkEnvironment(objects),
    ...checkAddresses(objects),
    ...checkNetworkPolicies(objects),
    ...checkSecurity(objects),
    ...checkTls(objects),
    ...checkSecrets(objects),
    ...checkCompose(objects, composeYaml, tag),
  ];
}
