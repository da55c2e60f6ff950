import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { type Stack, startStack } from './support/stack';

jest.setTimeout(60_000);

/** Debian's chromium: the tests drive the browser the machine has, not one downloaded. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  stack = await startStack();
  // --no-sandbox: the tests run as root here, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the web page, in a real browser', () => {
  it('shows a greeting with the replica that served it', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    await page.fill('#name', 'Ada');
    await page.click('#greet-form button');
    await page.waitForSelector('#greeting[data-state="ok"]');

    expect(await page.textContent('#greeting')).toBe(`Hello Ada (served by ${await greeterInstance()})`);
  });

  it('shows the ticks of a server stream one by one, as they arrive', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    await page.fill('#count', '4');
    await page.fill('#interval', '400');
    await page.click('#ticks-form button');
    await page.waitForSelector('#ticks li');
    // While the first tick is on the page, the last is not there yet.
    expect(await page.locator('#ticks li').count()).toBeLessThan(4);
    await page.waitForSelector('#ticks-status:text("done")');

    const times = await page.$$eval('#ticks li', (items) =>
      items.map((item) => Number((item as unknown as { dataset: { ms?: string } }).dataset.ms)),
    );
    expect(times).toHaveLength(4);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThan(250);
  });

  it('shows the error of an invalid name with its code, message and details', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);
    await page.fill('#name', '');
    await page.click('#greet-form button');
    await page.waitForSelector('#greeting[data-state="error"]');
    const text = (await page.textContent('#greeting')) ?? '';

    expect(text).toContain('invalid_argument');
    expect(text).toContain('name must not be empty');
    // The details the Greeter sent, decoded in the page: the field and what is wrong, the reason.
    expect(text).toMatch(
      /detail google\.rpc\.BadRequest \{"fieldViolations":\[\{"field":"name","description":"must not be empty"/,
    );
    expect(text).toMatch(/detail google\.rpc\.ErrorInfo \{"reason":"NAME_EMPTY"/);
  });

  it('says why AllStream is not available in the browser', async () => {
    const page = await browser.newPage();
    await page.goto(stack.url);

    expect(await page.textContent('#all-stream')).toContain('Unavailable in a browser');
  });
});

async function greeterInstance(): Promise<string> {
  const line = await stack.greeter.waitForLog((entry) => entry.msg === 'serving');
  return String(line.instance);
}
