// The consortium view: every node, the bridge validators, and a stopped node turning red.
// Environment and data-testids: see lib.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { env, launch, openPage, site, until } from './lib.mjs';

const REFRESH_MS = 4000; // src/consortium.ts
let browser, s;
before(async () => { s = await site(); browser = await launch(); });
after(async () => { await browser?.close(); });

const state = (page, id) => page.getAttribute(`[data-testid="${id}"]`, 'data-state');

test('every node and validator is shown up, with sealers and the bridge supply', async () => {
  const page = await openPage(browser, null);
  assert.ok(s.manifest.nodes.length >= 5, 'the local consortium has 5 nodes');
  for (const n of s.manifest.nodes) await until(`node ${n.name} up`, async () => (await state(page, `node-${n.name}`)) === 'up', 60000);
  for (const v of s.manifest.bridge?.validator_hosts ?? []) await until(`validator ${v.name} up`, async () => (await state(page, `validator-${v.name}`)) === 'up', 60000);
  // last sealed blocks (clique_getSigner): most authorities sealed within the last 40 blocks
  // (Clique takes turns); each block shown is checked against the node's own answer
  const sealed = await until('a last sealed block for most nodes', async () => {
    const cells = await page.$$eval('[data-testid^="node-"]', (trs) => trs.map((tr) => [tr.dataset.testid.slice(5), tr.querySelector('.sealed').textContent]));
    assert.equal(cells.length, s.manifest.nodes.length);
    const shown = cells.filter(([, c]) => /^#\d+$/.test(c));
    return shown.length * 2 > cells.length && shown;
  }, 60000);
  for (const [name, cell] of sealed) {
    const signer = await s.home.send('clique_getSigner', ['0x' + Number(cell.slice(1)).toString(16)]);
    assert.equal(signer.toLowerCase(), s.manifest.nodes.find((n) => n.name === name).address.toLowerCase(), `${name} sealed ${cell}`);
  }
  await until('the block times plot', () => page.$('#block-times polyline'), 30000);
  await until('locked and circulating', async () => /RLC/.test(await page.textContent('[data-testid="bridge-locked"]'))
    && /RLC/.test(await page.textContent('[data-testid="bridge-circulating"]')), 30000);
  await page.context().close();
});

test('a stopped node turns red within one refresh, and green again once started', async () => {
  const [stop, start, name] = [env('WEB_TEST_STOP_NODE'), env('WEB_TEST_START_NODE'), env('WEB_TEST_STOPPED_NODE')];
  const page = await openPage(browser, null);
  const row = `node-${name}`;
  await until(`${row} up`, async () => (await state(page, row)) === 'up', 60000);
  try {
    execSync(stop, { stdio: 'inherit', timeout: 60000 });
    const stopped = Date.now();
    // one refresh: the interval plus the round's own rpc timeouts (3 s) and a margin
    await until(`${row} down`, async () => (await state(page, row)) === 'down', REFRESH_MS + 3000 + 5000, 100);
    console.log(`# ${name} shown down ${Date.now() - stopped} ms after the stop`);
    for (const n of s.manifest.nodes.filter((x) => x.name !== name)) {
      assert.equal(await state(page, `node-${n.name}`), 'up', `${n.name} stays up`);
    }
  } finally {
    execSync(start, { stdio: 'inherit', timeout: 120000 });
  }
  await until(`${row} up again`, async () => (await state(page, row)) === 'up', 120000);
  await page.context().close();
});
