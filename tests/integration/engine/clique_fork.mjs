// A Clique chain of 3 signers in the engine's own @ethereumjs/blockchain (real sealed blocks,
// consensus and block validation on). The node's canonical chain is genesis, 1, 2' (2' in turn);
// a side branch 2, 3, 4 (out of turn, then in turn) is heavier from block 4 on. Block 3 is signed
// by the signer of 2': on its own branch that is fine, but checked against the canonical
// chain's signers it is "recently signed". The node must take the side branch in the end.
//
//   node clique_fork.mjs ENGINE_DIR patched|plain
//
// "patched" loads the engine preload (poa-patches.mjs fix 16) first, "plain" does not.
// A second case: the list of recent signers that the blockchain keeps (in memory and in its
// database) says another signer sealed the head than the one who did, as a node's list can after
// a crash (seen after a kill-all storm: a node refused every next block for good). The next
// block, valid on the chain, must still be taken.
// Prints one JSON line: {"side3": "accepted" | <error>, "head": <number>, "on_side_branch": bool,
// "stale3": "accepted" | <error>}.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [engineDir, mode] = process.argv.slice(2);
const engine = (path) => pathToFileURL(`${engineDir}/node_modules/@ethereumjs/${path}/dist/esm/index.js`).href;
if (mode === 'patched') await import(pathToFileURL(`${engineDir}/poa-patches.mjs`).href);
const { ConsensusAlgorithm, createCommonFromGethGenesis } = await import(engine('common'));
const { CliqueConsensus, createBlockchain } = await import(engine('blockchain'));
const { createSealedCliqueBlock } = await import(engine('block'));
const { createAddressFromPrivateKey, bytesToHex } = await import(engine('util'));

// signers in the order of the genesis extraData, which sets whose turn each block is
const signers = [0, 1, 2]
  .map(() => randomBytes(32))
  .map((key) => ({ key, address: createAddressFromPrivateKey(key) }))
  .sort((a, b) => (a.address.toString() < b.address.toString() ? -1 : 1));
const genesis = {
  config: {
    chainId: 4242,
    homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
    constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0,
    clique: { period: 2, epoch: 30000 },
  },
  nonce: '0x0',
  mixHash: `0x${'00'.repeat(32)}`,
  coinbase: `0x${'00'.repeat(20)}`,
  difficulty: '0x1',
  gasLimit: '0x1c9c380',
  timestamp: '0x0',
  extraData: `0x${'00'.repeat(32)}${signers.map((s) => s.address.toString().slice(2)).join('')}${'00'.repeat(65)}`,
  alloc: {},
};
const common = createCommonFromGethGenesis(genesis, { chain: 'cliquefork' });
const newBlockchain = () =>
  createBlockchain({
    common,
    validateConsensus: true,
    validateBlocks: true,
    consensusDict: { [ConsensusAlgorithm.Clique]: new CliqueConsensus() },
  });
const blockchain = await newBlockchain();

// a block on `parent` sealed by signer `who`, `late` seconds after the period
function block(parent, who, late = 0) {
  const number = parent.header.number + 1n;
  const inTurn = number % BigInt(signers.length) === BigInt(who);
  return createSealedCliqueBlock(
    {
      header: {
        number,
        parentHash: parent.hash(),
        timestamp: parent.header.timestamp + 2n + BigInt(late),
        difficulty: inTurn ? 2n : 1n,
        gasLimit: parent.header.gasLimit,
        extraData: new Uint8Array(97),
      },
    },
    signers[who].key,
    { common },
  );
}

const g = await blockchain.getBlock(0n);
const b1 = block(g, 1); // in turn
const own2 = block(b1, 2); // in turn: the node's chain, td 5
const side2 = block(b1, 0, 1); // out of turn: td 4
const side3 = block(side2, 2); // out of turn (0's turn), td 5: same signer as own2
const side4 = block(side3, 1); // in turn, td 7
for (const b of [b1, own2, side2]) await blockchain.putBlock(b);
let side3Result = 'accepted';
try {
  await blockchain.putBlock(side3);
  await blockchain.putBlock(side4);
} catch (e) {
  side3Result = e.message;
}
const head = await blockchain.getCanonicalHeadBlock();

// the second case, on a chain of its own: genesis, 1, 2 (signer 2), and a list that says signer 0
const other = await newBlockchain();
const o2 = block(b1, 2);
for (const b of [b1, o2]) await other.putBlock(b);
const list = other.consensus._cliqueLatestBlockSigners;
list[list.length - 1] = [o2.header.number, signers[0].address];
let stale3Result = 'accepted';
try {
  await other.putBlock(block(o2, 0)); // in turn, and valid: 0 did not seal 2
} catch (e) {
  stale3Result = e.message;
}

console.log(
  JSON.stringify({
    side3: side3Result,
    head: Number(head.header.number),
    on_side_branch: bytesToHex(head.hash()) === bytesToHex(side4.hash()),
    stale3: stale3Result,
  }),
);
process.exit(0);
