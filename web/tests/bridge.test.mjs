// Deposit, withdrawal and a reload mid-transfer, through the page and the injected test wallet.
// Environment and data-testids: see lib.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestWallet, balances, connect, envKey, launch, openPage, site, until } from './lib.mjs';

const RLC = 10n ** 9n; // nRLC per RLC
const STEPS = ['sent', 'confirmed', 'votes', 'paid'];
let browser, s;
before(async () => { s = await site(); browser = await launch(); });
after(async () => { await browser?.close(); });

/** Type an amount, click deposit/withdraw; returns the source tx hash the wallet sent. */
async function send(page, wallet, dir, amount) {
  const n = wallet.sent.length;
  await page.fill('[data-testid="amount"]', amount);
  await page.click(`[data-testid="${dir}"]`);
  const tx = await until(`the wallet to send the ${dir}`, async () => {
    const err = await page.$('[data-testid="error"]:not([hidden])');
    if (err) assert.fail(`the page refused the ${dir}: ${await err.textContent()}`);
    return wallet.sent[n];
  }, 60000, 200);
  return tx.hash.toLowerCase();
}

/** Wait for the transfer to be paid, checking that its steps only move forward. */
async function paid(page, hash) {
  const sel = `[data-testid="transfer-${hash}"]`;
  const seen = [];
  await until(`transfer ${hash} to be paid`, async () => {
    const step = await page.getAttribute(sel, 'data-step');
    if (step && step !== seen.at(-1)) seen.push(step);
    assert.ok(step === null || STEPS.includes(step), `unexpected step ${step} (seen ${seen})`);
    return step === 'paid';
  }, 120000, 200);
  if (process.env.WEB_TEST_VERBOSE) console.log(hash, seen);
  const order = seen.map((x) => STEPS.indexOf(x));
  assert.deepEqual(order, [...order].sort(), `steps went backwards: ${seen}`);
  const dest = await page.getAttribute(sel, 'data-dest-tx');
  assert.match(dest ?? '', /^0x[0-9a-f]{64}$/, 'destination tx hash');
  const text = await page.textContent(sel);
  assert.ok(text.includes(hash) && text.includes(dest), `both tx hashes shown: ${text}`);
  return dest;
}

async function balancesAfter(page, want) {
  return until(`balances ${JSON.stringify(want, (_, v) => String(v))}`, async () => {
    const now = await balances(page);
    return Object.entries(want).every(([k, v]) => now[k] === v) && now;
  }, 60000);
}

test('connect, deposit 10 RLC: paid at home, balances move on both chains', async () => {
  const wallet = new TestWallet(envKey('WEB_TEST_KEY'), s.url);
  const page = await openPage(browser, wallet, '#bridge');
  await connect(page, wallet);
  const b0 = await balances(page);
  assert.ok(b0['balance-rlc-foreign'] >= 10n * RLC, `the demo user needs 10 RLC on foreign, has ${b0['balance-rlc-foreign']}`);
  const hash = await send(page, wallet, 'deposit', '10');
  assert.equal(wallet.sent[0].chainId, s.manifest.bridge.foreign.chain_id, 'sent on the foreign chain');
  const dest = await paid(page, hash);
  const receipt = await s.home.getTransactionReceipt(dest);
  assert.equal(receipt?.to?.toLowerCase(), s.manifest.bridge.home.bridge.address.toLowerCase(), 'the pay-out is a home bridge tx');
  await balancesAfter(page, {
    'balance-rlc-foreign': b0['balance-rlc-foreign'] - 10n * RLC,
    'balance-rlc-home': b0['balance-rlc-home'] + 10n * RLC,
  });
  await page.context().close();
});

test('withdraw 4 RLC: the wallet is switched to home, paid on foreign', async () => {
  const wallet = new TestWallet(envKey('WEB_TEST_KEY'), s.url);
  const page = await openPage(browser, wallet, '#bridge');
  await connect(page, wallet);
  const b0 = await balances(page);
  assert.ok(b0['balance-rlc-home'] >= 4n * RLC, `the demo user needs 4 RLC at home, has ${b0['balance-rlc-home']}`);
  const hash = await send(page, wallet, 'withdraw', '4');
  // the wallet started on foreign and did not know home: the page added it with its own rpc url
  assert.equal(wallet.chains.get(s.manifest.chain_id), new URL(s.manifest.rpc.home, s.url).href);
  assert.equal(wallet.sent[0].chainId, s.manifest.chain_id, 'sent on the home chain');
  const dest = await paid(page, hash);
  const receipt = await s.foreign.getTransactionReceipt(dest);
  assert.equal(receipt?.to?.toLowerCase(), s.manifest.bridge.foreign.bridge.address.toLowerCase(), 'the pay-out is a foreign bridge tx');
  await balancesAfter(page, {
    'balance-rlc-foreign': b0['balance-rlc-foreign'] + 4n * RLC,
    'balance-rlc-home': b0['balance-rlc-home'] - 4n * RLC,
  });
  await page.context().close();
});

test('a reload right after sending finds the transfer on chain and follows it to paid', async () => {
  const wallet = new TestWallet(envKey('WEB_TEST_KEY'), s.url);
  const page = await openPage(browser, wallet, '#bridge');
  await connect(page, wallet);
  const hash = await send(page, wallet, 'deposit', '2');
  const sel = `[data-testid="transfer-${hash}"]`;
  await until('the transfer to show as sent', async () => (await page.getAttribute(sel, 'data-step')) === 'sent', 30000, 100);
  // forget what the page stored: it must find the transfer from the chain's Transfer logs
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await paid(page, hash);
  assert.equal(await page.evaluate((h) => Object.values(localStorage).some((v) => v.includes(h)), hash), false,
    'found from the chain, not from localStorage');
  assert.equal(wallet.sent.length, 1, 'nothing sent again');
  await page.context().close();
});
