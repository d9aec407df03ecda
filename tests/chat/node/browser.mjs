// End-to-end test of actnet-chat's page in a real browser: Debian's Chromium driven by
// playwright-core (which never downloads a browser of its own).
//
//   node browser.mjs <server url, e.g. http://127.0.0.1:PORT/> <output dir>
//
// Opens /?name=alice and /?name=bob, waits until both say `connected` and list both names
// in #online, then alice types a message and clicks #send: bob's #messages must show it
// (.text, with .from = alice) within 5 s, and so must alice's. Bob answers with Enter, and
// alice must see that. Bob leaves: alice's #online must drop him. Writes bob's page as
// <output dir>/chat-bob.png (and, on failure, both pages as failure-*.png). Exits 0, or 1
// with what was expected and what the pages showed. Hard timeout: CHAT_TIMEOUT_MS (60 s).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const TIMEOUT_MS = Number(process.env.CHAT_TIMEOUT_MS ?? 60000);
const STEP_MS = 5000; // what a person would wait for a message or a presence change
const CONNECT_MS = 15000; // a page's first connection, on a loaded machine or under ASan
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Chromium must not try to reach Google: this machine's network is closed.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node browser.mjs <server url> <output dir>');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
// No screenshot from an earlier run may pass for this one's.
for (const f of fs.readdirSync(outDir)) {
  if (f === 'chat-bob.png' || /^failure-.*\.png$/.test(f)) fs.rmSync(path.join(outDir, f), { force: true });
}
const started = performance.now();
const elapsed = () => Math.round(performance.now() - started);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'actnet-chat-chromium-'));
let context = null;
const pages = {}; // name -> page
const log = []; // what the pages said, for a failure report

async function cleanup() {
  // A browser that will not close must not hold the test hostage.
  if (context) await Promise.race([context.close().catch(() => {}), sleep(5000)]);
  fs.rmSync(profile, { recursive: true, force: true });
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function describe(name) {
  const page = pages[name];
  if (!page || page.isClosed()) return `${name}: (page closed)`;
  try {
    const state = await page.evaluate(() => {
      const text = (sel) => document.querySelector(sel)?.textContent.trim() ?? '(missing)';
      return {
        status: text('#status'),
        online: [...document.querySelectorAll('#online li')].map((li) => li.textContent.trim()),
        messages: [...document.querySelectorAll('#messages .message')].map((m) =>
          `${m.querySelector('.from')?.textContent.trim() ?? '(no .from)'}: ${m.querySelector('.text')?.textContent ?? '(no .text)'}`),
      };
    });
    await page.screenshot({ path: path.join(outDir, `failure-${name}.png`), timeout: 5000 }).catch(() => {});
    return `${name}'s page: #status ${JSON.stringify(state.status)}, #online ${JSON.stringify(state.online)}, ` +
      `#messages ${JSON.stringify(state.messages)}`;
  } catch (err) {
    return `${name}'s page could not be read: ${err.message.split('\n')[0]}`;
  }
}

let failing = false;
async function fail(what) {
  if (failing) return;
  failing = true;
  const lines = [`browser.mjs: FAIL after ${elapsed()} ms: ${what}`];
  for (const name of Object.keys(pages)) lines.push(`  ${await Promise.race([describe(name), sleep(5000).then(() => `${name}: (no answer)`)])}`);
  if (log.length) lines.push('  the pages said:', ...log.slice(-20).map((l) => `    ${l}`));
  console.error(lines.join('\n'));
  await cleanup();
  process.exit(1);
}

setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS);

// step(what, fn): runs one step; its failure names the step.
async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    await fail(`${what}: ${err.message.split('\n')[0]}`);
  }
}

// Resolves when fn(arg) is truthy in the page; the timeout error names `what`.
function until(page, fn, arg, what, ms = STEP_MS) {
  return page.waitForFunction(fn, arg, { timeout: ms, polling: 50 }).catch((err) => {
    throw new Error(`${what} within ${ms} ms (${err.message.split('\n')[0]})`);
  });
}

const statusIs = (want) => document.querySelector('#status')?.textContent.trim() === want;
const onlineHas = ([names, without]) => {
  const online = [...document.querySelectorAll('#online li')].map((li) => li.textContent.trim());
  return names.every((n) => online.includes(n)) && !without.some((n) => online.includes(n));
};
// The .from of the first .message whose .text is `text`, or null.
const messageFrom = (text) => {
  for (const m of document.querySelectorAll('#messages .message')) {
    if (m.querySelector('.text')?.textContent === text) return m.querySelector('.from')?.textContent.trim() ?? '(no .from)';
  }
  return null;
};

async function expectMessage(name, text, from) {
  const page = pages[name];
  const got = await (await until(page, messageFrom, text,
    `${name}'s #messages should show a .message whose .text is ${JSON.stringify(text)}`)).jsonValue();
  if (got !== from) throw new Error(`${name}'s message ${JSON.stringify(text)} has .from ${JSON.stringify(got)}, expected ${JSON.stringify(from)}`);
}

context = await step(`launching ${CHROMIUM}`, () => chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30000,
  viewport: { width: 800, height: 600 },
}));
for (const name of ['alice', 'bob']) {
  const page = pages[name] = await step(`opening a page for ${name}`, () => context.newPage());
  page.on('pageerror', (err) => fail(`${name}'s page threw: ${err.message}`));
  page.on('console', (msg) => log.push(`${name} console.${msg.type()}: ${msg.text()}`));
  const url = new URL(`/?name=${name}`, base).href;
  await step(`loading ${url}`, async () => {
    const res = await page.goto(url, { timeout: 10000 });
    if (!res || res.status() !== 200) throw new Error(`HTTP status ${res?.status()}`);
  });
}
const { alice, bob } = pages;
for (const name of ['alice', 'bob']) {
  await step(`${name} connects`, () => until(pages[name], statusIs, 'connected',
    `${name}'s #status should read "connected"`, CONNECT_MS));
}
for (const name of ['alice', 'bob']) {
  await step(`${name} sees both online`, () => until(pages[name], onlineHas, [['alice', 'bob'], []],
    `${name}'s #online should list alice and bob`, CONNECT_MS));
}

// Markup and non-ASCII in the text: the page must show it as text, byte for byte.
const hello = `Hello bob, <b>this</b> & "that" from alice — ünïcödé ✓ ${Date.now()}`;
await step('alice types and clicks #send', async () => {
  await alice.fill('#text', hello, { timeout: STEP_MS });
  await alice.click('#send', { timeout: STEP_MS });
});
await step('bob receives alice\'s message', () => expectMessage('bob', hello, 'alice'));
await step('alice sees her own message', () => expectMessage('alice', hello, 'alice'));

const reply = `hi alice, bob here ${Date.now()}`;
await step('bob types and presses Enter', async () => {
  await bob.fill('#text', reply, { timeout: STEP_MS });
  await bob.press('#text', 'Enter', { timeout: STEP_MS });
});
await step('alice receives bob\'s message (sent with Enter)', () => expectMessage('alice', reply, 'bob'));
await step('bob sees his own message', () => expectMessage('bob', reply, 'bob'));

const shot = path.join(outDir, 'chat-bob.png');
await step('screenshot of bob\'s page', () => bob.screenshot({ path: shot, timeout: STEP_MS }));

await step('bob leaves', () => bob.close());
delete pages.bob;
await step('alice sees bob leave', () => until(alice, onlineHas, [['alice'], ['bob']],
  'alice\'s #online should list alice and no longer bob'));

await cleanup();
console.log(`browser.mjs: ok: alice's message reached bob's page, bob's (sent with Enter) reached alice's, ` +
  `bob's leave reached alice's #online; screenshot ${shot}; ${elapsed()} ms`);
process.exit(0);
