// Usage: node set-nodekey.mjs <networkDir> <nodekey-file (64 hex, no 0x)>
// Stores the devp2p node key where @ethereumjs/client reads it:
// LevelDB <networkDir>/config, key 'config:client_key', raw 32 bytes.
import { readFileSync } from 'node:fs';
import { Level } from 'level';

const [networkDir, keyFile] = process.argv.slice(2);
const hex = readFileSync(keyFile, 'utf8').trim().replace(/^0x/, '');
if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('node key must be 64 hex characters');
const key = Uint8Array.from(Buffer.from(hex, 'hex'));
const db = new Level(`${networkDir}/config`);
const opts = { keyEncoding: 'utf8', valueEncoding: 'view' };
let old;
try { old = await db.get('config:client_key', opts); } catch { old = undefined; }
const same = old !== undefined && Buffer.from(old).equals(Buffer.from(key));
if (!same) await db.put('config:client_key', key, opts);
await db.close();
console.log(same ? 'unchanged' : 'changed');
