import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { K8sObject } from './render';

/** A token that passes readToken, for env vars whose value comes from a Secret not in the render. */
const SECRET_PLACEHOLDER = 'secret-from-a-kubernetes-secret-0123456789';

export interface Workload {
  kind: 'Deployment' | 'Job';
  name: string;
  labels: Record<string, string>;
  pod: IPodSpec;
}

export function ofKind<T>(objects: readonly K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((o) => o.kind === kind) as (T & K8sObject)[];
}

export function deployments(objects: readonly K8sObject[]): (IDeployment & K8sObject)[] {
  return ofKind<IDeployment>(objects, 'Deployment');
}

export function services(objects: readonly K8sObject[]): (IService & K8sObject)[] {
  return ofKind<IService>(objects, 'Service');
}

/** Every pod template: the Deployments' and the Jobs'. */
export function workloads(objects: readonly K8sObject[]): Workload[] {
  const of = (kind: Workload['kind'], o: IDeployment | IJob, name: string): Workload[] => {
    const template = o.spec?.template;
    return template?.spec === undefined
      ? []
      : [{ kind, name, labels: template.metadata?.labels ?? {}, pod: template.spec }];
  };
  return [
    ...deployments(objects).flatMap((d) => of('Deployment', d, d.metadata.name)),
    ...ofKind<IJob>(objects, 'Job').flatMap((j) => of('Job', j, j.metadata.name)),
  ];
}

/**
 * The environment a container starts with: its ConfigMaps (envFrom, then env) as rendered, a
 * Secret's value as SECRET_PLACEHOLDER. A reference to a ConfigMap that is not rendered is
 * reported by name in `missing`.
 */
export function environmentOf(
  objects: readonly K8sObject[],
  container: IContainer,
): { env: Record<string, string>; missing: string[] } {
  const configMaps = new Map(ofKind<IConfigMap>(objects, 'ConfigMap').map((c) => [c.metadata.name, c]));
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef !== undefined) {
      const configMap = configMaps.get(source.configMapRef.name ?? '');
      if (configMap === undefined) missing.push(`ConfigMap ${source.configMapRef.name}`);
      Object.assign(env, configMap?.data ?? {});
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.secretKeyRef !== undefined) env[variable.name] = SECRET_PLACEHOLDER;
    else if (from?.configMapKeyRef !== undefined) {
      const value = configMaps.get(from.configMapKeyRef.name ?? '')?.data?.[from.configMapKeyRef.key];
      if (value === undefined)
        missing.push(`ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}`);
      else env[variable.name] = value;
    } else env[variable.name] = variable.value ?? '';
  }
  return { env, missing };
}

/** A containerPort by its number or name. */
export function containerPortOf(container: IContainer, port: number | string | undefined) {
  return (container.ports ?? []).find(
    (p) => p.containerPort === port || (p.name !== undefined && p.name === port),
  );
}
