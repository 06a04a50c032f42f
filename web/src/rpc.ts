import { JsonRpcProvider } from 'ethers';

/** An absolute URL for a path relative to the page (the app is served under any prefix). */
export const abs = (path: string) => new URL(path, location.href).href;

/** ethers provider for reads; the chain id is known, so it never probes the network. */
export function reader(path: string, chainId: number) {
  return new JsonRpcProvider(abs(path), chainId, { staticNetwork: true });
}

/**
 * One JSON-RPC batch over plain fetch, with a timeout: node checks must fail fast when a node
 * is down (ethers would retry), and clique_* methods are not in ethers.
 */
export async function batch(path: string, calls: [string, unknown[]][], timeoutMs = 3000): Promise<any[]> {
  const body = calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }));
  const res = await fetch(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  const replies: any[] = await res.json();
  if (!Array.isArray(replies)) throw new Error(`${path}: ${JSON.stringify(replies).slice(0, 200)}`);
  return calls.map((_, id) => {
    const r = replies.find((x) => x.id === id);
    if (!r || r.error) throw new Error(`${path} ${calls[id][0]}: ${r?.error?.message ?? 'no reply'}`);
    return r.result;
  });
}
