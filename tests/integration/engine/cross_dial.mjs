// Pairs of devp2p RLPx servers (the engine's own @ethereumjs/devp2p, real TCP on loopback) dial
// each other at nearly the same moment: the second dial follows the first by 0 .. PAIRS-1 ms,
// one offset per pair, all pairs at once. When things have settled, what each side counts as
// its peer (from the 'peer:added' / 'peer:removed' events the client keeps its peer list from)
// must agree with the other side and with the connection that is really open.
//
//   node cross_dial.mjs ENGINE_DIR patched|plain PAIRS HOST
//
// "patched" applies the engine preload's guard (poa-patches.mjs fix 15), "plain" does not.
// Prints one JSON line: {"pairs": N, "outcomes": {"<A counts B><B counts A> open=<k>": n, ...},
// "inconsistent": K}.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [engineDir, mode, pairsArg, host = '127.0.0.1'] = process.argv.slice(2);
const engine = (path) => pathToFileURL(`${engineDir}/${path}`).href;
const { RLPx, ETH } = await import(engine('node_modules/@ethereumjs/devp2p/dist/esm/index.js'));
const { Common, Mainnet } = await import(engine('node_modules/@ethereumjs/common/dist/esm/index.js'));
const { guardPeerEntries } = mode === 'patched' ? await import(engine('poa-patches.mjs')) : {};
const common = new Common({ chain: Mainnet });
const hex = (b) => Buffer.from(b).toString('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function server() {
  const rlpx = new RLPx(randomBytes(32), { capabilities: [ETH.eth68], maxPeers: 5, common });
  guardPeerEntries?.(rlpx);
  const counted = new Set(); // the peers the client would count
  rlpx.events.on('peer:added', (peer) => counted.add(hex(peer.getId())));
  rlpx.events.on('peer:removed', (peer) => counted.delete(hex(peer.getId())));
  rlpx.events.on('peer:error', () => {});
  rlpx.events.on('error', () => {});
  // every socket this side connects over, inbound or outbound, to see what is really open
  const sockets = [];
  const onConnect = rlpx._onConnect.bind(rlpx);
  rlpx._onConnect = (socket, peerId) => {
    sockets.push(socket);
    return onConnect(socket, peerId);
  };
  await new Promise((resolve) => {
    rlpx.events.once('listening', resolve);
    rlpx.listen(0, host);
  });
  return { rlpx, counted, sockets, port: rlpx._server.address().port, id: hex(rlpx.id) };
}

async function pair(offsetMs) {
  const a = await server();
  const b = await server();
  const first = a.rlpx.connect({ id: b.rlpx.id, address: host, tcpPort: b.port }).catch(() => {});
  await sleep(offsetMs);
  const second = b.rlpx.connect({ id: a.rlpx.id, address: host, tcpPort: a.port }).catch(() => {});
  await Promise.all([first, second]);
  await sleep(3500); // a refused duplicate is closed 2 s after its DISCONNECT
  const open = a.sockets.filter((s) => !s.destroyed).length;
  const aCountsB = a.counted.has(b.id);
  const bCountsA = b.counted.has(a.id);
  a.rlpx.destroy();
  b.rlpx.destroy();
  return { outcome: `${Number(aCountsB)}${Number(bCountsA)} open=${open}`, ok: aCountsB === bCountsA && aCountsB === open > 0 };
}

const pairs = Number.parseInt(pairsArg, 10);
const results = await Promise.all(Array.from({ length: pairs }, (_, i) => pair(i)));
const outcomes = {};
for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
console.log(JSON.stringify({ pairs, outcomes, inconsistent: results.filter((r) => !r.ok).length }));
process.exit(0);
