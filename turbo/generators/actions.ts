import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlopTypes } from '@turbo/gen';

/**
 * The line, in a file the generator edits, above which it inserts a new service's part: a
 * comment holding `turbo gen service: <what> above this line`, e.g. in docker-compose.yml
 * `# turbo gen service: services above this line`.
 */
export const markerOf = (what: string) => `turbo gen service: ${what} above this line`;

/** A file, and the marker in it above which a snippet goes. */
export interface MarkedFile {
  path: string;
  marker: string;
}

type Config = PlopTypes.CustomActionConfig<string>;

/**
 * The generator's own action types, besides plop's `add` and `addMany`:
 * - `checkMarkers` (`files`): every marker is there, exactly once, before anything is written,
 *   so that a moved or deleted marker fails the generator rather than leave half a service;
 * - `insertAboveMarker` (`path`, `marker`, `templateFile`): the rendered template, indented as
 *   the marker is, above it;
 * - `addImport` (`path`, `templateFile`): the rendered import after a TypeScript file's last
 *   one (the generator then has Biome sort them), no marker needed;
 * - `appendToFile` (`path`, `templateFile`): the rendered template at the end of the file;
 * - `addDependency` (`path`, `section`, `dependency`): `"<dependency>": "workspace:*"`, sorted;
 * - `run` (`command`, `args`): a command at the repository's root, its output shown.
 */
export function registerActionTypes(plop: PlopTypes.NodePlopAPI): void {
  const root = () => plop.getDestBasePath();
  const file = (path: string) => join(root(), path);
  const render = (config: Config, answers: PlopTypes.Answers) =>
    plop.renderString(readFileSync(join(plop.getPlopfilePath(), config.templateFile), 'utf8'), answers);
  const renderPath = (config: Config, answers: PlopTypes.Answers) => plop.renderString(config.path, answers);

  plop.setActionType('checkMarkers', (_answers, config) => {
    const problems = (config.files as MarkedFile[]).flatMap(({ path, marker }) => {
      const count = readFileSync(file(path), 'utf8').split(marker).length - 1;
      return count === 1 ? [] : [`${path} has ${count === 0 ? 'no' : count} lines "... ${marker}"`];
    });
    if (problems.length > 0) {
      throw new Error(
        `${problems.join('; ')}: each file needs that comment once, where new services go (docs/adding-a-service.md)`,
      );
    }
    return `${(config.files as MarkedFile[]).length} markers found`;
  });

  plop.setActionType('insertAboveMarker', (answers, config) => {
    const path = renderPath(config, answers);
    const lines = readFileSync(file(path), 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes(config.marker));
    if (at === -1) throw new Error(`${path} has no line "... ${config.marker}"`);
    const indent = /^\s*/.exec(lines[at] ?? '')?.[0] ?? '';
    const snippet = render(config, answers)
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => (line === '' ? '' : indent + line));
    lines.splice(at, 0, ...snippet);
    writeFileSync(file(path), lines.join('\n'));
    return path;
  });

  plop.setActionType('addImport', (answers, config) => {
    const path = renderPath(config, answers);
    const lines = readFileSync(file(path), 'utf8').split('\n');
    // The line that ends the last import statement, one line or several.
    let last = -1;
    for (let i = 0, inImport = false; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.startsWith('import ')) inImport = true;
      if (inImport && line.trimEnd().endsWith(';')) {
        last = i;
        inImport = false;
      }
    }
    if (last === -1) throw new Error(`${path} has no import to add one after`);
    lines.splice(last + 1, 0, render(config, answers).replace(/\n$/, ''));
    writeFileSync(file(path), lines.join('\n'));
    return path;
  });

  plop.setActionType('appendToFile', (answers, config) => {
    const path = renderPath(config, answers);
    const text = readFileSync(file(path), 'utf8');
    writeFileSync(file(path), `${text.endsWith('\n') ? text : `${text}\n`}${render(config, answers)}`);
    return path;
  });

  plop.setActionType('addDependency', (answers, config) => {
    const path = renderPath(config, answers);
    const dependency = plop.renderString(config.dependency, answers);
    const pkg = JSON.parse(readFileSync(file(path), 'utf8')) as Record<string, Record<string, string>>;
    const section = { ...pkg[config.section], [dependency]: 'workspace:*' };
    pkg[config.section] = Object.fromEntries(Object.entries(section).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(file(path), `${JSON.stringify(pkg, null, 2)}\n`);
    return `${path} (${config.section}: ${dependency})`;
  });

  plop.setActionType('run', (answers, config) => {
    const args = (config.args as string[]).map((arg) => plop.renderString(arg, answers));
    const command = [config.command, ...args].join(' ');
    try {
      execFileSync(config.command, args, { cwd: root(), stdio: 'inherit' });
    } catch (err: unknown) {
      throw new Error(`${command} failed (${err instanceof Error ? err.message : String(err)})`);
    }
    return command;
  });
}
