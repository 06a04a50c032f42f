// Shared by the browser tests: environment, chromium, an injected EIP-1193 test wallet, polling.
//
// Environment (each one missing is a failure, not a skip):
//   WEB_URL               the page, e.g. http://127.0.0.1:8800/ (nginx) or a `vite preview`
//   WEB_TEST_KEY          the demo user's key: RLC and gas on the foreign chain, gas at home
//   WEB_TEST_WHITELIST_ON, WEB_TEST_WHITELIST_OFF  commands that turn the foreign bridge's whitelist on/off
//                         through its owner, the consortium's Safe
//   WEB_TEST_STOP_NODE, WEB_TEST_START_NODE, WEB_TEST_STOPPED_NODE
//                         shell commands to stop/start one node, and that node's name
//
// The page's data-testids the tests use:
//   nav-consortium, nav-bridge          the two views (or open the page at #bridge)
//   node-<name>                         a node row, data-state="up"|"down"
//   validator-<name>                    a bridge validator row, data-state="up"|"down"
//   block-times                         the block times summary (the SVG plot is #block-times)
//   bridge-locked, bridge-circulating   RLC locked on foreign / circulating at home
//   connect, account, wallet-chain      the wallet button, its account, its chain
//   balance-rlc-home, balance-rlc-foreign, balance-gas-home, balance-gas-foreign
//                                       balances, raw integer in data-value
//   limits-deposit, limits-withdraw     data-min, data-max, data-left (raw nRLC)
//   amount, deposit, withdraw           the amount (RLC) and the two send buttons
//   error                               the message of a refused action; data-kind one of
//                                       amount, min, max, daily, balance, whitelist, gas,
//                                       network, rejected, wallet, other
//   transfer-<source tx hash>           one transfer: data-step sent|confirmed|votes|paid|
//                                       refunded|failed, data-src-tx, data-dest-tx
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { JsonRpcProvider, Wallet, Contract, getAddress } from 'ethers';

/** A required environment variable; missing is a failure, never a skip. */
export function env(name) {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: the browser tests need it (see the comment at the top of the tests)`);
  return v;
}
/** A private key from the environment, with or without its 0x. */
export const envKey = (name) => env(name).trim().replace(/^(0x)?/, '0x');
export const webUrl = () => new URL(env('WEB_URL').replace(/\/?$/, '/')).href;

export const FOREIGN_CHAIN = 31337;
export const ERC20 = ['function balanceOf(address) view returns (uint256)', 'function transfer(address,uint256) returns (bool)'];
export const FOREIGN_BRIDGE = ['function setWhitelistEnabled(bool)', 'function setWhitelisted(address,bool)', 'function whitelistEnabled() view returns (bool)'];

/** The public manifest and node-side readers through the same nginx paths as the page. */
export async function site() {
  const url = webUrl();
  const res = await fetch(new URL('manifest.json', url));
  assert.equal(res.status, 200, 'manifest.json');
  const manifest = await res.json();
  const rpc = (side) => new JsonRpcProvider(new URL(manifest.rpc[side], url).href,
    manifest.bridge?.[side]?.chain_id ?? manifest.chain_id, { staticNetwork: true });
  return { url, manifest, home: rpc('home'), foreign: manifest.bridge ? rpc('foreign') : null };
}

/** Poll fn until it returns a truthy value; fail with `what` and the last value at the deadline. */
export async function until(what, fn, timeoutMs = 120000, everyMs = 500) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last?.message ?? last}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
export const launch = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: BROWSER_ARGS });

/**
 * A wallet held in node: the page gets window.ethereum, whose request() calls back here.
 * It starts on the foreign chain, knows chains added with wallet_addEthereumChain, signs and
 * sends transactions itself through the page's rpc url for that chain (<WEB_URL>/rpc/...), and
 * records each one in `sent`. `refuse` makes it answer 4001 to everything; `refuseSwitch` only
 * to wallet_switchEthereumChain.
 */
export class TestWallet {
  constructor(key, url) {
    this.key = key;
    this.address = new Wallet(key).address;
    this.chains = new Map([[FOREIGN_CHAIN, new URL('rpc/foreign', url).href]]);
    this.chainId = FOREIGN_CHAIN;
    this.sent = [];
    this.refuse = false;
    this.refuseSwitch = false;
    this.trusted = false;
  }
  async request(method, params = []) {
    const reject = (code, message) => ({ error: { code, message } });
    if (this.refuse) return reject(4001, 'User rejected the request.');
    const hex = '0x' + this.chainId.toString(16);
    switch (method) {
      case 'eth_chainId': return { result: hex };
      case 'net_version': return { result: String(this.chainId) };
      // like a real wallet: the page learns the account once it asked for it (then across reloads)
      case 'eth_requestAccounts': this.trusted = true; return { result: [this.address.toLowerCase()] };
      case 'eth_accounts': return { result: this.trusted ? [this.address.toLowerCase()] : [] };
      case 'wallet_switchEthereumChain': {
        if (this.refuseSwitch) return reject(4001, 'User rejected the request.');
        const id = Number(params[0].chainId);
        if (!this.chains.has(id)) return reject(4902, `Unrecognized chain ID ${params[0].chainId}.`);
        this.chainId = id;
        return { result: null, emit: ['chainChanged', '0x' + id.toString(16)] };
      }
      case 'wallet_addEthereumChain': {
        const { chainId, rpcUrls } = params[0];
        this.chains.set(Number(chainId), rpcUrls[0]);
        return { result: null };
      }
      case 'eth_sendTransaction': {
        const tx = params[0];
        if (getAddress(tx.from) !== this.address) return reject(4100, 'unknown account');
        const provider = new JsonRpcProvider(this.chains.get(this.chainId), this.chainId, { staticNetwork: true });
        const sent = await new Wallet(this.key, provider).sendTransaction({
          to: tx.to, data: tx.data, value: tx.value ?? 0, gasLimit: tx.gas ?? tx.gasLimit });
        this.sent.push({ chainId: this.chainId, hash: sent.hash });
        return { result: sent.hash };
      }
      default: { // reads go to the current chain's rpc, as a wallet would
        const res = await fetch(this.chains.get(this.chainId), { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
        const body = await res.json();
        return body.error ? { error: body.error } : { result: body.result };
      }
    }
  }
  /** Put the wallet on another chain by hand (as a user would), telling the page. */
  async setChain(page, id) {
    this.chainId = id;
    await page.evaluate((c) => window.__walletEmit('chainChanged', c), '0x' + id.toString(16));
  }
}

/** A fresh page with `wallet` injected, opened on `hash` (e.g. '#bridge'). */
export async function openPage(browser, wallet, hash = '') {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  if (wallet) {
    await page.exposeFunction('__walletRequest', async (method, params) => {
      try { return await wallet.request(method, params); } catch (e) { return { error: { code: -32603, message: e.shortMessage ?? e.message } }; }
    });
    await page.addInitScript(() => {
      const listeners = {};
      window.__walletEmit = (event, arg) => (listeners[event] ?? []).forEach((f) => f(arg));
      window.ethereum = {
        async request({ method, params }) {
          const r = await window.__walletRequest(method, params ?? []);
          if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
          if (r.emit) setTimeout(() => window.__walletEmit(...r.emit), 0);
          return r.result;
        },
        on(event, f) { (listeners[event] ??= []).push(f); },
        removeListener(event, f) { listeners[event] = (listeners[event] ?? []).filter((g) => g !== f); },
      };
    });
  }
  await page.goto(webUrl() + hash);
  return page;
}

/** The raw value (data-value) of a balance cell, once the page has read it. */
export async function balance(page, id) {
  return BigInt(await until(`${id} to be read`, () => page.getAttribute(`[data-testid="${id}"]`, 'data-value'), 30000));
}
export async function balances(page) {
  const ids = ['balance-rlc-home', 'balance-rlc-foreign', 'balance-gas-home', 'balance-gas-foreign'];
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await balance(page, id)])));
}

export async function connect(page, wallet) {
  await page.click('[data-testid="connect"]');
  await until('the account to show', async () => (await page.textContent('[data-testid="account"]')) === wallet.address, 30000);
  // limits are read on connect; the send buttons are enabled once the account is known
  await until('the limits', () => page.getAttribute('[data-testid="limits-deposit"]', 'data-max'), 30000);
}

export { Contract, Wallet, JsonRpcProvider };
