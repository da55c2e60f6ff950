import type { PlopTypes } from '@turbo/gen';
import { type MarkedFile, markerOf, registerActionTypes } from './actions';
import { namesOf } from './names';
import { checkName, checkPort, nextMetricsPort, suggestedPort } from './repository';

// `pnpm turbo gen service` (see docs/adding-a-service.md). Non-interactively:
//   pnpm turbo gen service --args <name> <port>

const PROTO_INDEX = 'packages/proto/src/index.ts';
/** Fails until every message in protos/ is fuzzed: the new service's are added to it. */
const PROTO_FUZZ = 'packages/proto/test/decoder-fuzz.test.ts';
const STACK_SERVICES = 'packages/stack/src/services.ts';
const DEPLOY_SERVICES = 'packages/deploy/src/services.ts';
const COMPOSE = 'docker-compose.yml';
const K8S = 'deploy/kubernetes';

/** Where each snippet goes: the file, the marker above which it is inserted, the template. */
const INSERTIONS: (MarkedFile & { templateFile: string; data?: Record<string, string> })[] = [
  {
    path: PROTO_INDEX,
    marker: markerOf('services'),
    templateFile: 'templates/snippets/proto-index-service.hbs',
  },
  {
    path: PROTO_FUZZ,
    marker: markerOf('services'),
    templateFile: 'templates/snippets/proto-fuzz-service.hbs',
  },
  {
    path: STACK_SERVICES,
    marker: markerOf('services'),
    templateFile: 'templates/snippets/stack-service.hbs',
  },
  {
    path: DEPLOY_SERVICES,
    marker: markerOf('readers'),
    templateFile: 'templates/snippets/deploy-reader.hbs',
  },
  { path: COMPOSE, marker: markerOf('services'), templateFile: 'templates/snippets/compose-service.hbs' },
  {
    path: `${K8S}/base/kustomization.yaml`,
    marker: markerOf('resources'),
    templateFile: 'templates/snippets/kustomization-resources.hbs',
  },
  {
    path: `${K8S}/base/kustomization.yaml`,
    marker: markerOf('config maps'),
    templateFile: 'templates/snippets/kustomization-config.hbs',
  },
  {
    path: `${K8S}/overlays/dev/kustomization.yaml`,
    marker: markerOf('images'),
    templateFile: 'templates/snippets/overlay-image.hbs',
    data: { tag: 'local' },
  },
  {
    path: `${K8S}/overlays/prod/kustomization.yaml`,
    marker: markerOf('images'),
    templateFile: 'templates/snippets/overlay-image.hbs',
    data: { tag: 'release' },
  },
  {
    path: `${K8S}/components/observability/kustomization.yaml`,
    marker: markerOf('config maps'),
    templateFile: 'templates/snippets/observability-config.hbs',
  },
  {
    path: `${K8S}/components/observability/kustomization.yaml`,
    marker: markerOf('patches'),
    templateFile: 'templates/snippets/observability-patch.hbs',
  },
  {
    path: `${K8S}/components/tls/kustomization.yaml`,
    marker: markerOf('config maps'),
    templateFile: 'templates/snippets/tls-config.hbs',
  },
  {
    path: `${K8S}/components/tls/kustomization.yaml`,
    marker: markerOf('patches'),
    templateFile: 'templates/snippets/tls-patch.hbs',
  },
];

/** Imports, after a file's last one. */
const IMPORTS = [
  { path: PROTO_INDEX, templateFile: 'templates/snippets/proto-index-import.hbs' },
  { path: PROTO_FUZZ, templateFile: 'templates/snippets/proto-fuzz-import.hbs' },
  { path: DEPLOY_SERVICES, templateFile: 'templates/snippets/deploy-import.hbs' },
];

/** Multi-document YAML files and lists that end their file: the snippet goes at the end. */
const APPENDS = [
  {
    path: `${K8S}/overlays/prod/network-policies.yaml`,
    templateFile: 'templates/snippets/network-policy.hbs',
  },
  {
    path: `${K8S}/overlays/prod/pod-disruption-budgets.yaml`,
    templateFile: 'templates/snippets/pod-disruption-budget.hbs',
  },
  { path: 'observability/prometheus.yml', templateFile: 'templates/snippets/prometheus-job.hbs' },
];

/** The packages that use every service: the stack runs it, deploy checks its manifests. */
const DEPENDENCIES = [
  { path: 'packages/stack/package.json', section: 'dependencies' },
  { path: 'packages/deploy/package.json', section: 'devDependencies' },
];

/** @public What `turbo gen` loads: it registers the generator `service`. */
export default function generator(plop: PlopTypes.NodePlopAPI): void {
  registerActionTypes(plop);
  const root = plop.getDestBasePath();

  plop.setGenerator('service', {
    description:
      'A new gRPC service: its .proto, generated code, package and tests, and its place in pnpm start, compose and Kubernetes',
    prompts: [
      {
        type: 'input',
        name: 'name',
        message: 'Service name, kebab-case (e.g. orders, order-book):',
        validate: (value: string) => checkName(root, String(value).trim()),
        filter: (value: string) => String(value).trim(),
      },
      {
        type: 'input',
        name: 'port',
        message: 'gRPC port:',
        default: () => String(suggestedPort(root)),
        validate: (value: string) => checkPort(root, String(value).trim()),
        filter: (value: string) => Number(String(value).trim()),
      },
    ],
    actions: (answers) => {
      if (answers === undefined) return [];
      const port = Number(answers.port);
      Object.assign(answers, namesOf(answers.name, port, nextMetricsPort(root, port)));
      return [
        { type: 'checkMarkers', files: INSERTIONS.map(({ path, marker }) => ({ path, marker })) },
        { type: 'add', path: 'protos/{{snake}}/v1/{{snake}}.proto', templateFile: 'templates/proto.hbs' },
        {
          type: 'addMany',
          destination: 'services/{{name}}',
          base: 'templates/service',
          templateFiles: 'templates/service/**',
          stripExtensions: ['hbs'],
          globOptions: { dot: true },
        },
        {
          type: 'addMany',
          destination: `${K8S}/base/{{name}}`,
          base: 'templates/kubernetes',
          templateFiles: [
            'templates/kubernetes/deployment.yaml.hbs',
            'templates/kubernetes/service*.yaml.hbs',
          ],
          stripExtensions: ['hbs'],
          globOptions: {},
        },
        {
          type: 'add',
          path: `${K8S}/components/tls/{{name}}.yaml`,
          templateFile: 'templates/kubernetes/tls-patch.yaml.hbs',
        },
        ...INSERTIONS.map(({ path, marker, templateFile, data }) => ({
          type: 'insertAboveMarker',
          path,
          marker,
          templateFile,
          data,
        })),
        ...IMPORTS.map(({ path, templateFile }) => ({ type: 'addImport', path, templateFile })),
        ...APPENDS.map(({ path, templateFile }) => ({ type: 'appendToFile', path, templateFile })),
        ...DEPENDENCIES.map(({ path, section }) => ({
          type: 'addDependency',
          path,
          section,
          dependency: '@repo/{{name}}',
        })),
        // Links the new package. Not frozen: the lockfile gains the new importer (CI=1 would
        // otherwise freeze it); offline first: every dependency is one the lockfile has.
        { type: 'run', command: 'pnpm', args: ['install', '--no-frozen-lockfile', '--prefer-offline'] },
        // buf generate: the ts-proto code and the descriptor set (reflection) for the new .proto.
        { type: 'run', command: 'pnpm', args: ['generate'] },
        // Sorts the new imports and exports and wraps lines the way Biome wants, whatever the name's length.
        {
          type: 'run',
          command: 'pnpm',
          args: [
            'exec',
            'biome',
            'check',
            '--write',
            'services/{{name}}',
            PROTO_INDEX,
            PROTO_FUZZ,
            STACK_SERVICES,
            DEPLOY_SERVICES,
            ...DEPENDENCIES.map(({ path }) => path),
          ],
        },
        // A comment, shown as it is (plop does not render it).
        `Next: \`pnpm build && pnpm --filter @repo/${answers.name} test\`, then \`pnpm start\`; docs/adding-a-service.md says what to change next.`,
      ];
    },
  });
}
