// Writes dev/manifest.json (gitignored) from the local private manifest, in the public shape
// nginx serves: rpc_url/enode/spec_file dropped, relative rpc and health paths added.
// Usage: node scripts/dev-manifest.mjs [path/to/build/local]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const local = process.argv[2] ?? new URL('../../build/local', import.meta.url).pathname;
const m = JSON.parse(readFileSync(join(local, 'manifest.json'), 'utf8'));
const out = {
  chain_name: m.chain_name, chain_id: m.chain_id, network_id: m.network_id, engine: m.engine,
  genesis_hash: m.genesis_hash, block_period: 2,
  nodes: m.nodes.map(({ name, company, address, role }) => ({ name, company, address, role, rpc: `rpc/node/${name}` })),
  rpc: { home: 'rpc/home', foreign: 'rpc/foreign' },
};
if (m.bridge) {
  const b = structuredClone(m.bridge);
  for (const side of ['home', 'foreign']) {
    delete b[side].rpc_url;
    for (const c of ['bridge', 'token', 'validators']) b[side][c] = { address: b[side][c].address, block: b[side][c].block };
  }
  b.home.name = m.chain_name;
  b.foreign.name = 'foreign';
  b.foreign.token.symbol = b.home.token.symbol = 'RLC';
  b.foreign.token.decimals = b.home.token.decimals = 9;
  b.validator_hosts = m.nodes.filter((n) => existsSync(join(local, 'hosts', n.name, 'bridge-validator', 'config.json'))).map((n) => {
    const c = JSON.parse(readFileSync(join(local, 'hosts', n.name, 'bridge-validator', 'config.json'), 'utf8'));
    return { name: n.name, company: n.company, address: c.validator, health: `bridge/${n.name}/health` };
  });
  out.bridge = b;
}
mkdirSync(new URL('../dev', import.meta.url), { recursive: true });
writeFileSync(new URL('../dev/manifest.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log('wrote dev/manifest.json');
