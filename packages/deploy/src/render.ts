import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** deploy/kubernetes in this repository. */
export const KUSTOMIZE_ROOT = resolve(__dirname, '../../../deploy/kubernetes');

const OVERLAYS = ['dev', 'prod'] as const;
const COMPONENTS = ['observability', 'tls'] as const;

/** A rendered Kubernetes object: what every check reads (typed access goes through the kinds' interfaces). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Variant {
  overlay: (typeof OVERLAYS)[number];
  components: readonly (typeof COMPONENTS)[number][];
}

/** Every overlay alone, and with every subset of the components. */
export function allVariants(): Variant[] {
  const subsets: (typeof COMPONENTS)[number][][] = [[]];
  for (const component of COMPONENTS) {
    for (const subset of [...subsets]) subsets.push([...subset, component]);
  }
  return OVERLAYS.flatMap((overlay) => subsets.map((components) => ({ overlay, components })));
}

export function describeVariant({ overlay, components }: Variant): string {
  return [overlay, ...components].join(' + ');
}

/**
 * `kubectl kustomize` of the overlay with the components switched on, as a user would in the
 * overlay's kustomization.yaml (here: a temporary one that names both). Throws when kubectl is
 * missing (saying so) or kustomize fails (with its message).
 */
export function render(variant: Variant): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  try {
    const lines = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${JSON.stringify(from(dir, 'overlays', variant.overlay))}]`,
      `components: [${variant.components.map((c) => JSON.stringify(from(dir, 'components', c))).join(', ')}]`,
    ];
    writeFileSync(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
    return parseObjects(kustomize(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// kustomize takes no absolute path to a base or a component.
function from(dir: string, ...path: string[]): string {
  return relative(dir, join(KUSTOMIZE_ROOT, ...path));
}

/** The YAML `kubectl kustomize dir` prints; kubectl is looked up on env's PATH. */
export function kustomize(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'kubectl is needed to render deploy/kubernetes (kubectl kustomize), and it is not on PATH: install kubectl >= 1.27'
        : `kubectl kustomize ${dir}: ${result.error.message}`,
    );
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return result.stdout;
}

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
