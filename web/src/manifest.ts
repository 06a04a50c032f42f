// The public manifest nginx serves next to the page; only the keys the page relies on.
export type Side = 'home' | 'foreign';

export interface Contract { address: string; block: number | null }
export interface BridgeSide {
  chain_id: number;
  name: string;
  bridge: Contract;
  token: Contract & { symbol: string; decimals: number };
}
export interface Manifest {
  chain_name: string;
  chain_id: number;
  engine: string;
  block_period?: number;
  nodes: { name: string; company: string; address: string; role: string; rpc: string }[];
  rpc: Record<Side, string>;
  bridge?: {
    required_signatures: number;
    validator_hosts: { name: string; company: string; address: string; health: string }[];
    home: BridgeSide;
    foreign: BridgeSide;
  };
}

export async function loadManifest(): Promise<Manifest> {
  const res = await fetch('manifest.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`manifest.json: HTTP ${res.status}`);
  return res.json();
}
