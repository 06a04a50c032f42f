import { Contract, formatUnits, getAddress } from 'ethers';
import { gasText } from './units';
import { ERC20, HOME_BRIDGE } from './abi';
import type { Manifest } from './manifest';
import { plot } from './plot';
import { batch, reader } from './rpc';

export const REFRESH_MS = 4000;
const N = 40; // blocks looked at for sealers and block times
const SAMPLES = 60; // locked/circulating samples kept for the plot

const $ = (id: string) => document.getElementById(id)!;
function row(tbody: HTMLElement, testid: string, cells: string[]) {
  const tr = document.createElement('tr');
  tr.dataset.testid = testid;
  for (const c of cells) {
    const td = document.createElement('td');
    td.className = c;
    tr.append(td);
  }
  tbody.append(tr);
  return (name: string, text: string) => { tr.querySelector<HTMLElement>(`.${name}`)!.textContent = text; };
}
function setState(testid: string, up: boolean) {
  document.querySelector<HTMLElement>(`[data-testid="${testid}"]`)!.dataset.state = up ? 'up' : 'down';
}

/** The landing view: nodes, sealers, block times and the bridge, one round every REFRESH_MS. */
export function startConsortium(m: Manifest) {
  const nodeCells = new Map(m.nodes.map((n) => {
    const set = row($('nodes'), `node-${n.name}`, ['name', 'company', 'peers', 'head', 'sealed']);
    set('name', n.name);
    set('company', n.company);
    return [n.name, set];
  }));
  const b = m.bridge;
  const valCells = new Map((b?.validator_hosts ?? []).map((v) => {
    const set = row($('validators'), `validator-${v.name}`, ['name', 'company', 'lag-home', 'lag-foreign', 'gas-home', 'gas-foreign', 'pending']);
    set('name', v.name);
    set('company', v.company);
    return [v.name, set];
  }));
  $('consortium-bridge').hidden = !b;

  // One node's own view of the chain; any failure (HTTP error, timeout, rpc error) means down.
  async function node(n: Manifest['nodes'][number]) {
    const set = nodeCells.get(n.name)!;
    try {
      const [peers, head] = await batch(n.rpc, [['net_peerCount', []], ['eth_blockNumber', []]]);
      set('peers', String(Number(peers)));
      set('head', String(Number(head)));
      setState(`node-${n.name}`, true);
    } catch {
      set('peers', '—');
      set('head', 'down');
      setState(`node-${n.name}`, false);
    }
  }

  // Last N blocks from rpc/home in one batch: who sealed each (Clique keeps the sealer in the
  // signature, not in `miner`) and their timestamps.
  async function blocks() {
    const [headHex] = await batch(m.rpc.home, [['eth_blockNumber', []]]);
    const head = Number(headHex);
    const nums = Array.from({ length: Math.min(N, head + 1) }, (_, i) => head - i).reverse();
    const clique = m.engine === 'geth';
    const calls: [string, unknown[]][] = nums.map((n) => ['eth_getBlockByNumber', ['0x' + n.toString(16), false]]);
    if (clique) calls.push(...nums.map((n): [string, unknown[]] => ['clique_getSigner', ['0x' + n.toString(16)]]));
    const res = await batch(m.rpc.home, calls, 8000);
    const blocks = res.slice(0, nums.length);
    const sealers = clique ? res.slice(nums.length) : blocks.map((blk) => blk.miner);
    const last = new Map<string, number>();
    nums.forEach((n, i) => last.set(getAddress(sealers[i]), n));
    for (const n of m.nodes) {
      const seen = last.get(getAddress(n.address));
      nodeCells.get(n.name)!('sealed', seen === undefined ? `not in last ${nums.length}` : `#${seen}`);
    }
    const times = blocks.slice(1).map((blk, i) => Number(blk.timestamp) - Number(blocks[i].timestamp));
    plot($('block-times') as unknown as SVGSVGElement, [times], ['#06c']);
    const avg = times.length ? times.reduce((a, c) => a + c, 0) / times.length : 0;
    $('block-times-summary').textContent = `blocks #${nums[0]}–#${head}, average ${avg.toFixed(2)} s`;
  }

  async function validator(v: NonNullable<Manifest['bridge']>['validator_hosts'][number]) {
    const set = valCells.get(v.name)!;
    try {
      const res = await fetch(v.health, { cache: 'no-store', signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      // balance_wei overflows a double: keep its digits by quoting them before JSON.parse
      const h = JSON.parse((await res.text()).replace(/"balance_wei":\s*(\d+)/g, '"balance_wei":"$1"'));
      for (const side of ['home', 'foreign'] as const) {
        set(`lag-${side}`, h[side].connected ? String(h[side].lag) : 'disconnected');
        set(`gas-${side}`, gasText(BigInt(h[side].balance_wei)));
      }
      set('pending', `${h.pending.events} events, ${h.pending.outbox} outbox`);
      setState(`validator-${v.name}`, true);
    } catch {
      for (const c of ['lag-home', 'lag-foreign', 'gas-home', 'gas-foreign', 'pending']) set(c, '—');
      setState(`validator-${v.name}`, false);
    }
  }

  // Locked on foreign must equal circulating at home once nothing is in flight (docs/bridge.md).
  const samples: [number, number][] = [];
  const supply = b && (() => {
    const home = reader(m.rpc.home, b.home.chain_id), foreign = reader(m.rpc.foreign, b.foreign.chain_id);
    const homeBridge = new Contract(b.home.bridge.address, HOME_BRIDGE, home);
    const homeToken = new Contract(b.home.token.address, ERC20, home);
    const foreignToken = new Contract(b.foreign.token.address, ERC20, foreign);
    return async () => {
      const [locked, funded, held] = await Promise.all([
        foreignToken.balanceOf(b.foreign.bridge.address), homeBridge.totalFunded(), homeToken.balanceOf(b.home.bridge.address)]);
      const circulating = funded - held;
      $('consortium-bridge').querySelector('.locked')!.textContent = `${formatUnits(locked, b.foreign.token.decimals)} ${b.foreign.token.symbol}`;
      $('consortium-bridge').querySelector('.circulating')!.textContent = `${formatUnits(circulating, b.home.token.decimals)} ${b.home.token.symbol}`;
      samples.push([Number(formatUnits(locked, b.foreign.token.decimals)), Number(formatUnits(circulating, b.home.token.decimals))]);
      if (samples.length > SAMPLES) samples.shift();
      plot($('supply') as unknown as SVGSVGElement, [samples.map((s) => s[0]), samples.map((s) => s[1])], ['#06c', '#c60']);
    };
  })();

  // Each concern has its own round, REFRESH_MS after its last one ended: a slow chain read never
  // holds back the nodes' states, so a stopped node shows red within one refresh and its 3 s timeout.
  function every(task: () => Promise<unknown>) {
    const run = async () => {
      await task().catch(() => undefined);
      setTimeout(run, REFRESH_MS);
    };
    run();
  }
  every(() => Promise.allSettled(m.nodes.map(node)));
  every(blocks);
  every(() => Promise.allSettled((b?.validator_hosts ?? []).map(validator)));
  if (supply) every(supply);
}
