import { runNode } from '@repo/runner';

// Every package's exports map is its boundary: what it does not export cannot be required, so a
// package's dist/ is private to it. Node's own resolution, in a process of its own, decides.
const resolve = (specifier: string) =>
  runNode('-e', [`process.stdout.write(require.resolve(${JSON.stringify(specifier)}))`], { cwd: __dirname });

describe('package boundaries', () => {
  it.each([
    '@repo/greeter/dist/main.js',
    '@repo/stream/dist/put-stream',
    '@repo/test-kit/dist/processes',
    '@repo/client-kit/dist/errors',
    '@repo/proto/src/gen/helloworld/helloworld',
  ])('refuses the deep import %s', async (specifier) => {
    const { exit, stderr } = await resolve(specifier);

    expect(exit).toBe(1);
    expect(stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it.each([
    ['@repo/greeter/main', /services\/greeter\/dist\/main\.js$/],
    ['@repo/stream/config', /services\/stream\/dist\/config\.js$/],
    ['@repo/greeter-client/cli', /clients\/greeter\/dist\/cli\.js$/],
  ])('resolves the exported subpath %s', async (specifier, path) => {
    const { exit, stdout } = await resolve(specifier);

    expect(exit).toBe(0);
    expect(stdout).toMatch(path);
  });
});
