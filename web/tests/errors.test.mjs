// Each user error is shown before anything is signed, and no transaction is sent.
// Environment and data-testids: see lib.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Contract, Wallet } from 'ethers';
import { execSync } from 'node:child_process';
import { ERC20, FOREIGN_BRIDGE, TestWallet, connect, env, envKey, launch, openPage, site, until } from './lib.mjs';

let browser, s;
before(async () => { s = await site(); browser = await launch(); });
after(async () => { await browser?.close(); });

/** Click dir with amount; the error element must show `kind` matching `text`, and nothing be sent. */
async function refused(page, wallet, dir, amount, kind, text) {
  const n = wallet.sent.length;
  await page.fill('[data-testid="amount"]', amount);
  await page.click(`[data-testid="${dir}"]`);
  const err = '[data-testid="error"]';
  await until(`error ${kind}`, async () => (await page.getAttribute(err, 'data-kind')) && !(await page.$eval(err, (e) => e.hidden)), 30000, 100);
  const [got, message] = [await page.getAttribute(err, 'data-kind'), await page.textContent(err)];
  assert.equal(got, kind, `error kind (message: ${message})`);
  assert.match(message, text);
  // the buttons come back once the check is over; by then a send would have been recorded
  await until('the buttons to be enabled again', () => page.isEnabled(`[data-testid="${dir}"]`), 30000, 100);
  assert.equal(wallet.sent.length, n, 'no transaction was sent');
}

async function userPage() {
  const wallet = new TestWallet(envKey('WEB_TEST_KEY'), s.url);
  const page = await openPage(browser, wallet, '#bridge');
  await connect(page, wallet);
  return { wallet, page };
}

test('amounts outside the limits: over max, under min, not a number', async () => {
  const { wallet, page } = await userPage();
  const max = BigInt(await page.getAttribute('[data-testid="limits-deposit"]', 'data-max'));
  assert.equal(max, 100000n * 10n ** 9n, 'max per tx read from the foreign bridge');
  await refused(page, wallet, 'deposit', '100001', 'max', /over the maximum per transfer, 100000(\.0)? RLC/);
  await refused(page, wallet, 'deposit', '0.5', 'min', /under the minimum per transfer, 1(\.0)? RLC/);
  await refused(page, wallet, 'withdraw', '0.5', 'min', /under the minimum/);
  await refused(page, wallet, 'deposit', 'ten', 'amount', /Type an amount/);
  await page.context().close();
});

test('a wallet on the wrong network that refuses to switch', async () => {
  const { wallet, page } = await userPage();
  // the user put the wallet on home by hand, and refuses to switch back to foreign
  wallet.chains.set(s.manifest.chain_id, new URL(s.manifest.rpc.home, s.url).href);
  await wallet.setChain(page, s.manifest.chain_id);
  wallet.refuseSwitch = true;
  await refused(page, wallet, 'deposit', '1', 'network', new RegExp(`on chain ${s.manifest.chain_id}, not on .*31337.*did not switch`));
  await page.context().close();
});

test('a wallet that refuses the transaction (4001)', async () => {
  const { wallet, page } = await userPage();
  wallet.refuse = true;
  await refused(page, wallet, 'deposit', '1', 'rejected', /rejected the request in your wallet/);
  await page.context().close();
});

test('no RLC, then RLC but no gas: refused before signing', async () => {
  const fresh = Wallet.createRandom();
  const wallet = new TestWallet(fresh.privateKey, s.url);
  const page = await openPage(browser, wallet, '#bridge');
  await connect(page, wallet);
  await refused(page, wallet, 'deposit', '2', 'balance', /You have only 0(\.0)? RLC/);
  // give it 2 RLC on foreign (from the demo user, outside the page): now only gas is missing
  const user = new Wallet(envKey('WEB_TEST_KEY'), s.foreign);
  await (await new Contract(s.manifest.bridge.foreign.token.address, ERC20, user).transfer(fresh.address, 2n * 10n ** 9n)).wait();
  await until('the page to see the 2 RLC', async () => (await page.getAttribute('[data-testid="balance-rlc-foreign"]', 'data-value')) === String(2n * 10n ** 9n), 30000);
  await refused(page, wallet, 'deposit', '2', 'gas', /Not enough gas on foreign/);
  await page.context().close();
});

/** The foreign bridge's allow-list switched by its owner, the consortium's Safe: the command runs
 * playbooks/governance_call.yml (signed on each owner host, executed at M). */
function whitelist(on) {
  execSync(env(on ? 'WEB_TEST_WHITELIST_ON' : 'WEB_TEST_WHITELIST_OFF'), { stdio: 'inherit', timeout: 600000 });
}

test('a deposit from a non-whitelisted address while whitelisting is on', async () => {
  const bridge = new Contract(s.manifest.bridge.foreign.bridge.address, FOREIGN_BRIDGE, s.foreign);
  const { wallet, page } = await userPage();
  try {
    whitelist(true);
    assert.equal(await bridge.whitelistEnabled(), true);
    await refused(page, wallet, 'deposit', '1', 'whitelist', /whitelist.*is not one.*refunded/s);
  } finally {
    whitelist(false);
  }
  assert.equal(await bridge.whitelistEnabled(), false);
  await page.context().close();
});
