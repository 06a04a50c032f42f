import {
  BrowserProvider, Contract, Interface, JsonRpcProvider, formatEther, formatUnits, getAddress,
  keccak256, parseUnits, solidityPacked, toQuantity, type Eip1193Provider,
} from 'ethers';
import { ERC20, FOREIGN_BRIDGE, HOME_BRIDGE } from './abi';
import type { BridgeSide, Manifest, Side } from './manifest';
import { abs, reader } from './rpc';
import { gasText } from './units';

type Dir = 'deposit' | 'withdraw';
type Step = 'sent' | 'confirmed' | 'votes' | 'paid' | 'refunded' | 'failed';
interface Transfer { hash: string; dir: Dir; from: string; value: bigint; block?: number; step?: Step; dest?: string }
interface Wallet extends Eip1193Provider { on?(e: string, f: (x: any) => void): void }

const POLL_MS = 4000;
const SCAN_BACK = 5000; // blocks scanned when the manifest has no deploy block
const CHUNK = 10000; // blocks per eth_getLogs

/** A check that failed before anything was signed: shown as is, in the error element. */
class UserError extends Error {
  constructor(public kind: string, message: string) { super(message); }
}

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;
const byId = (t: string) => $(`[data-testid="${t}"]`);
const src = (d: Dir): Side => (d === 'deposit' ? 'foreign' : 'home');
const dst = (d: Dir): Side => (d === 'deposit' ? 'home' : 'foreign');

function showError(e: unknown) {
  const el = byId('error');
  if (e === null) { el.hidden = true; el.textContent = ''; delete el.dataset.kind; return; }
  const code = (e as any)?.code ?? (e as any)?.info?.error?.code ?? (e as any)?.error?.code;
  const [kind, text] = e instanceof UserError ? [e.kind, e.message]
    : code === 4001 || code === 'ACTION_REJECTED' || (e as any)?.info?.error?.code === 4001
      ? ['rejected', 'You rejected the request in your wallet: nothing was sent.']
      : ['other', (e as any)?.shortMessage ?? (e as any)?.message ?? String(e)];
  el.dataset.kind = kind;
  el.textContent = text;
  el.hidden = false;
}

export function startBridge(m: Manifest & { bridge: NonNullable<Manifest['bridge']> }) {
  const b = m.bridge;
  const dec = b.foreign.token.decimals;
  const fmt = (v: bigint) => formatUnits(v, dec);
  // per chain: its manifest entry (cfg), the page's rpc for it, and the two contracts
  const sides = {} as Record<Side, { cfg: BridgeSide; name: string; chainId: number; rpc: string; read: JsonRpcProvider; token: Contract; bridge: Contract }>;
  for (const s of ['home', 'foreign'] as const) {
    const read = reader(m.rpc[s], b[s].chain_id);
    sides[s] = {
      cfg: b[s], name: b[s].name, chainId: b[s].chain_id, rpc: m.rpc[s], read,
      token: new Contract(b[s].token.address, ERC20, read),
      bridge: new Contract(b[s].bridge.address, s === 'home' ? HOME_BRIDGE : FOREIGN_BRIDGE, read),
    };
    $(`#${s}-name`).textContent = `${b[s].name} (${b[s].chain_id})`;
  }
  const erc20 = new Interface(ERC20);
  const eth = (window as any).ethereum as Wallet | undefined;
  let account: string | null = null;
  const transfers = new Map<string, Transfer>();
  // Pay-outs and refunds seen on each chain, by the request's tx hash (AffirmationCompleted at
  // home, RelayedMessage on foreign), scanned forward from a cursor.
  const settled = new Map<string, { side: Side; tx: string }>();
  const cursor: Partial<Record<Side, number>> = {};
  const heads: Partial<Record<Side, number>> = {};
  let requestCursor: Partial<Record<Side, number>> = {};

  const startBlock = (s: Side, head: number) => sides[s].cfg.bridge.block ?? Math.max(0, head - SCAN_BACK);
  async function logs(s: Side, filter: { address: string; topics: (string | null)[] }, from: number, to: number) {
    const out = [];
    for (let a = from; a <= to; a += CHUNK) out.push(...await sides[s].read.getLogs({ ...filter, fromBlock: a, toBlock: Math.min(to, a + CHUNK - 1) }));
    return out;
  }

  // ---- balances and limits, read through the page's own rpc, never the wallet
  async function balances() {
    if (!account) return;
    await Promise.all((['home', 'foreign'] as const).map(async (s) => {
      const [rlc, gas] = await Promise.all([sides[s].token.balanceOf(account), sides[s].read.getBalance(account!)]);
      Object.assign(byId(`balance-rlc-${s}`), { textContent: `${fmt(rlc)} ${sides[s].cfg.token.symbol}` }).dataset.value = String(rlc);
      Object.assign(byId(`balance-gas-${s}`), { textContent: gasText(gas) }).dataset.value = String(gas);
    }));
  }
  async function limits(d: Dir) {
    const br = sides[src(d)].bridge;
    const [min, max, daily, spent] = await Promise.all([br.minPerTx(), br.maxPerTx(), br.dailyLimit(),
      br.getCurrentDay().then((day: bigint) => br.totalSpentPerDay(day))]);
    const left: bigint = daily > spent ? (daily as bigint) - (spent as bigint) : 0n;
    const el = byId(`limits-${d}`);
    Object.assign(el.dataset, { min: String(min), max: String(max), left: String(left) });
    el.querySelector('.min')!.textContent = fmt(min);
    el.querySelector('.max')!.textContent = fmt(max);
    el.querySelector('.left')!.textContent = fmt(left);
    return { min: min as bigint, max: max as bigint, left };
  }

  // ---- the wallet
  async function chainId() { return Number(await eth!.request({ method: 'eth_chainId' })); }
  async function ensureChain(s: Side) {
    const want = sides[s].chainId;
    const have = await chainId();
    if (have === want) return;
    const refused = new UserError('network', `Your wallet is on chain ${have}, not on ${sides[s].name} (chain ${want}), `
      + 'and it did not switch: switch it to that network and try again.');
    const hex = toQuantity(want);
    try {
      await eth!.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: hex }] });
    } catch (e: any) {
      if ((e?.code ?? e?.data?.originalError?.code) !== 4902) throw refused;
      try { // the wallet does not know the chain yet: offer it with the page's own rpc
        await eth!.request({ method: 'wallet_addEthereumChain', params: [{
          chainId: hex, chainName: sides[s].name, rpcUrls: [abs(sides[s].rpc)],
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } }] });
        if (await chainId() !== want) await eth!.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: hex }] });
      } catch { throw refused; }
    }
    if (await chainId() !== want) throw refused;
  }

  async function connect() {
    showError(null);
    try {
      if (!eth) throw new UserError('wallet', 'No Ethereum wallet found in this browser: install one (e.g. MetaMask) and reload.');
      const accounts: string[] = await eth.request({ method: 'eth_requestAccounts' });
      if (!accounts.length) throw new UserError('wallet', 'Your wallet shared no account.');
      await useAccount(accounts[0]);
    } catch (e) { showError(e); }
  }
  async function useAccount(a: string | undefined) {
    account = a ? getAddress(a) : null;
    byId('account').textContent = account ?? '';
    for (const id of ['deposit', 'withdraw']) (byId(id) as HTMLButtonElement).disabled = !account;
    transfers.clear();
    requestCursor = {};
    $('#transfers').replaceChildren();
    if (!account) return;
    for (const t of JSON.parse(localStorage.getItem(storeKey()) ?? '[]')) add({ ...t, value: BigInt(t.value) });
    byId('wallet-chain').textContent = `wallet on chain ${await chainId()}`;
    await Promise.all([balances(), poll()]);
  }

  // ---- sending: every check first, then one transfer through the wallet
  async function send(d: Dir) {
    showError(null);
    const buttons = ['deposit', 'withdraw'].map((id) => byId(id) as HTMLButtonElement);
    buttons.forEach((x) => (x.disabled = true));
    try {
      const s = sides[src(d)];
      const from = account!;
      let amount: bigint;
      try { amount = parseUnits((byId('amount') as HTMLInputElement).value.trim(), dec); } catch { amount = -1n; }
      if (amount <= 0n) throw new UserError('amount', `Type an amount of RLC, e.g. 10 or 0.5 (at most ${dec} decimals).`);
      const lim = await limits(d);
      if (amount < lim.min) throw new UserError('min', `${fmt(amount)} RLC is under the minimum per transfer, ${fmt(lim.min)} RLC.`);
      if (amount > lim.max) throw new UserError('max', `${fmt(amount)} RLC is over the maximum per transfer, ${fmt(lim.max)} RLC.`);
      if (amount > lim.left) throw new UserError('daily', `${fmt(amount)} RLC is over what is left of today's limit, ${fmt(lim.left)} RLC.`);
      const rlc: bigint = await s.token.balanceOf(from);
      if (amount > rlc) throw new UserError('balance', `You have only ${fmt(rlc)} RLC on ${s.name}.`);
      if (d === 'deposit' && !(await s.bridge.isWhitelisted(from))) {
        throw new UserError('whitelist', `The bridge accepts deposits only from whitelisted addresses, and ${from} is not one: `
          + 'a deposit from it would not be bridged but refunded. Ask the consortium to whitelist it.');
      }
      // Gas: the estimate at the current fee cap (what the wallet will ask for), against the native balance.
      const data = erc20.encodeFunctionData('transfer', [s.cfg.bridge.address, amount]);
      const gas = await s.read.estimateGas({ from, to: s.cfg.token.address, data }).catch(() => 100000n);
      const fee = await s.read.getFeeData();
      const need = gas * (fee.maxFeePerGas ?? fee.gasPrice ?? 0n);
      const native = await s.read.getBalance(from);
      if (native < need) {
        throw new UserError('gas', `Not enough gas on ${s.name}: the transfer needs about ${formatEther(need)}, `
          + `and ${from} has ${formatEther(native)}.`);
      }
      await ensureChain(src(d));
      const signer = await new BrowserProvider(eth!).getSigner(from);
      const hash = (await signer.sendUncheckedTransaction({ to: s.cfg.token.address, data, gasLimit: gas + gas / 5n })).toLowerCase();
      const t: Transfer = { hash, dir: d, from, value: amount };
      remember(t);
      track(t);
    } catch (e) {
      showError(e);
    } finally {
      buttons.forEach((x) => (x.disabled = !account));
    }
  }

  // ---- following transfers. localStorage keeps what was sent but maybe not yet mined; the
  // chain (token Transfer logs to the bridge) is the source of truth on reload.
  const storeKey = () => `poa-bridge:${account}`;
  function remember(t: Transfer) {
    const saved = JSON.parse(localStorage.getItem(storeKey()) ?? '[]') as any[];
    saved.push({ ...t, value: String(t.value) });
    localStorage.setItem(storeKey(), JSON.stringify(saved.slice(-20)));
  }
  // The account's token transfers to each bridge, scanned forward like the settlements: on
  // connect from the bridge's deploy block, then each round the new blocks.
  async function scanRequests(s: Side) {
    const head = heads[s]!, me = account, cur = requestCursor; // both are replaced on an account change
    const from = cur[s] ?? startBlock(s, head);
    if (from > head) return;
    const topics = erc20.encodeFilterTopics('Transfer', [me, sides[s].cfg.bridge.address]) as string[];
    const found = await logs(s, { address: sides[s].cfg.token.address, topics }, from, head);
    if (me !== account) return;
    for (const log of found) {
      add({ hash: log.transactionHash.toLowerCase(), dir: s === 'foreign' ? 'deposit' : 'withdraw',
        from: me!, value: BigInt(log.data), block: log.blockNumber });
    }
    cur[s] = head + 1;
  }
  function add(t: Transfer) { if (!transfers.has(t.hash)) track(t); }
  function track(t: Transfer) {
    transfers.set(t.hash, t);
    const li = document.createElement('li');
    li.dataset.testid = `transfer-${t.hash}`;
    li.dataset.srcTx = t.hash;
    $('#transfers').prepend(li);
    show(t, 'sent', '');
  }
  function show(t: Transfer, step: Step, detail: string) {
    t.step = step;
    const li = byId(`transfer-${t.hash}`);
    li.dataset.step = step;
    if (t.dest) li.dataset.destTx = t.dest;
    const label = { sent: 'sent', confirmed: 'confirmed', votes: "validators' votes", paid: 'paid out', refunded: 'refunded', failed: 'failed' }[step];
    li.textContent = `${t.dir} ${fmt(t.value)} RLC: ${label} ${detail} · ${sides[src(t.dir)].name} tx ${t.hash}`
      + (t.dest ? ` · ${sides[step === 'paid' ? dst(t.dir) : src(t.dir)].name} tx ${t.dest}` : '');
  }

  async function scanSettled(s: Side) {
    const head = heads[s]!;
    const from = cursor[s] ?? startBlock(s, head);
    if (from > head) return;
    const br = sides[s].bridge;
    const ev = br.interface.getEvent(s === 'home' ? 'AffirmationCompleted' : 'RelayedMessage')!;
    for (const log of await logs(s, { address: br.target as string, topics: [ev.topicHash] }, from, head)) {
      const [, , txHash] = br.interface.decodeEventLog(ev, log.data, log.topics);
      settled.set(String(txHash).toLowerCase(), { side: s, tx: log.transactionHash.toLowerCase() });
    }
    cursor[s] = head + 1;
  }

  async function progress(t: Transfer) {
    const done = settled.get(t.hash);
    if (done) {
      t.dest = done.tx;
      // the request's own destination pays it; a settlement on its source chain is a refund
      show(t, done.side === dst(t.dir) ? 'paid' : 'refunded', '');
      return true;
    }
    const s = sides[src(t.dir)];
    if (t.block === undefined) {
      const r = await s.read.getTransactionReceipt(t.hash);
      if (!r) return show(t, 'sent', '');
      if (r.status === 0) return show(t, 'failed', '(the transaction reverted)');
      t.block = r.blockNumber;
    }
    const need = Number(await s.bridge.requiredBlockConfirmations());
    const n = Math.min(heads[src(t.dir)]! - t.block, need);
    if (n < need) return show(t, 'confirmed', `${n}/${need}`);
    // Votes: affirmations at home for a deposit, signatures on the 104-byte message for a
    // withdrawal; a refund goes the other way, so count both and show the larger.
    const home = sides.home.bridge;
    const affirmation = keccak256(solidityPacked(['address', 'uint256', 'bytes32'], [t.from, t.value, t.hash]));
    const message = keccak256(solidityPacked(['address', 'uint256', 'bytes32', 'address'], [t.from, t.value, t.hash, sides.foreign.cfg.bridge.address]));
    const [a, sig, required] = await Promise.all([home.affirmationsSigned(affirmation), home.numMessagesSigned(message), home.requiredSignatures()]);
    show(t, 'votes', `${a > sig ? a : sig}/${required}`);
  }

  // One round: heads, settlements, then every unsettled transfer; balances after a pay-out.
  let busy = false;
  async function poll() {
    if (!account || busy) return;
    const me = account;
    busy = true;
    try {
      await Promise.all((['home', 'foreign'] as const).map(async (s) => {
        heads[s] = await sides[s].read.getBlockNumber();
        await Promise.all([scanSettled(s), scanRequests(s)]);
      }));
      if (me !== account) return; // the account changed meanwhile: its own round follows
      const open = [...transfers.values()].filter((t) => t.step !== 'paid' && t.step !== 'refunded' && t.step !== 'failed');
      const results = await Promise.allSettled(open.map(progress));
      await Promise.all([results.some((r) => r.status === 'fulfilled' && r.value === true) ? balances() : null,
        limits('deposit'), limits('withdraw')]);
    } finally { busy = false; }
  }
  // The limits are public: shown before any wallet is connected, and kept fresh.
  const showLimits = () => Promise.all([limits('deposit'), limits('withdraw')]);
  showLimits().catch(showError);
  setInterval(() => {
    if (!account) showLimits().catch(() => {});
    poll().catch(() => {});
    balances().catch(() => {});
  }, POLL_MS);

  byId('connect').addEventListener('click', connect);
  byId('deposit').addEventListener('click', () => send('deposit'));
  byId('withdraw').addEventListener('click', () => send('withdraw'));
  // A wallet that already trusts this page gives its account without a click.
  eth?.request({ method: 'eth_accounts' }).then(async (a: string[]) => { if (a.length && !account) await useAccount(a[0]); }).catch(showError);
  eth?.on?.('accountsChanged', (a: string[]) => { useAccount(a[0]).catch(showError); });
  eth?.on?.('chainChanged', (c: string) => { if (account) byId('wallet-chain').textContent = `wallet on chain ${Number(c)}`; });
}
