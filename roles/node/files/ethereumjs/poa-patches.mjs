// Preload for @ethereumjs/client 0.10.5 (node --import ./poa-patches.mjs cli.js ...)
// (Binding the p2p sockets to one address is done by bind-host.cjs, loaded with --require.)
// 1. fork choice: a NewBlock that does not extend our head and announces a higher total
//    difficulty, or a NewBlockHashes above our head, marks the sending peer as the best
//    peer, so the client's own sync loop fetches from it and reorgs.
// 2. sealing gate: do not seal with fewer than POA_SEAL_MIN_PEERS peers, nor while a peer
//    announced a heavier head that we do not hold yet (seal only on the best known chain).
// 3. backup order: an out-of-turn signer waits POA_BACKUP_STEP_MS (default 1000) times its
//    rank after the in-turn signer among the signers allowed to seal, instead of the random
//    0..n*500 ms wiggle, so two backups never race each other (like Aura's step order).
// 4. propagation: new blocks go in full to every peer (not to sqrt(peers)), and the static
//    bootnodes are dialled again every POA_REDIAL_MS (default 10000) while some are missing
//    (the client dials them once at start only). The node with the lower id dials first (two
//    dials that cross make one of them fail); a peer still missing a round later is dialled
//    by either side. A connection that has not become a peer for two rounds (its eth
//    handshake failed, which leaves the connection open) is closed, so it can be made anew.
// 5. catch-up: a NewBlock up to POA_GAP_FILL_MAX (default 256) blocks above our head makes us
//    fetch the missing blocks (plus a few below our head, for a short fork) from that peer and
//    import them at once, instead of waiting for the next full sync round (tens of seconds).
// 6. transactions: the block builder runs each tx against a header without a Clique seal and
//    fails ("extraData must be 97 bytes ..."), so no tx is ever mined; and the fee recipient
//    is the signer recovered from that seal. Seal the provisional header with the signer key
//    (the final seal is made again on sealing).
// 7. eth_estimateGas builds a provisional next block with empty extraData, which the Clique
//    format check rejects; accept an EMPTY extraData in that check (an imported block with
//    no seal still fails signature verification in the blockchain).
// 8. contracts: the EVM refuses to run any code on a PoA chain unless it was given a
//    `cliqueSigner` function (used by COINBASE), which the client never passes; supply the
//    one from @ethereumjs/block for every EVM the client creates.
// 10. eth_estimateGas returns the gas the call *used*, with no search for the gas it *needs*:
//    nested calls (the 63/64 rule) and refunds then make a transaction sent with that limit
//    run out of gas (the iExec SDK's `account deposit` = RLC.approveAndCall -> hub reverted).
//    Pad the estimate by POA_ESTIMATE_PAD_PERCENT (default 30), capped at the block gas limit.
// 11. txpool: blocks imported through the catch-up and sync paths do not always drop their
//     transactions from the pool; a stale lower nonce left there makes the miner skip every
//     later transaction of that account ("skipped byNonce=17": a PoCo deployment stalled).
//     Before selecting transactions, drop those whose nonce is below the account's nonce.
// 12. eth_getTransactionCount(address, 'pending') adds the number of the account's pool entries
//     to its nonce, stale ones included (blocks that arrive as NewBlock never clear the pool),
//     and looks the address up case-sensitively. A client that takes that nonce (the iExec
//     SDK, ethers) sends a transaction behind a gap, which is never mined. Count, like geth,
//     only the pool's consecutive nonces from the account's nonce.
// 13. start-up: the client starts its JSON-RPC server only after pinging every bootnode and
//     waiting for each answer; bootnodes not up yet (a consortium starting together) delay
//     it by about 4 s. Ping them in the background: peering is unchanged (fix 4 redials).
// 14. state reads at 'latest' (eth_call, eth_getBalance, eth_getCode, eth_getTransactionCount, ...)
//     fail with "State trie does not contain state root" in the moment between a block's
//     import and its execution (the VM runs imported blocks asynchronously): a PoCo deployment
//     started right after bring-up failed on it. Such a read waits for the execution (polling
//     every POA_STATE_RETRY_MS, 100) for up to POA_STATE_WAIT_MS (5000), then fails as before.
//     So does the pool's check of a new transaction (eth_sendRawTransaction refused one with it).
//     The miner has the same race: sealing on a parent not yet run threw the same error,
//     uncaught, and the node shut down (then restarted by its supervisor). It now waits too.
// 15. peer bookkeeping (devp2p RLPx keeps one entry per peer id): when a second connection to
//     a peer we are connected to closes (two dials that crossed: the later one is refused with
//     ALREADY_CONNECTED; or an old connection still closing after a reconnect), its close
//     deletes the entry by id, i.e. the entry of the connection that stays, and the client
//     drops that peer. The connection lives on, so the other node still counts us: one side
//     counts the peer, the other does not, and the redial of fix 4 never comes (a CI run ended
//     with peers {alpha-1: 2, alpha-2: 2, beta-1: 1}). Only the connection an entry holds
//     removes it, and only its close reports the peer gone.
// 16. a node stuck behind: Clique's "recently signed" check of an incoming block reads the last
//     signers from a list the blockchain keeps for its canonical chain (saved in the database,
//     rebuilt on reorgs), not from the block's own ancestors. After all five nodes were killed
//     at once, 80 times over, one node held a list that did not match its chain: it refused
//     the next block of the chain it was on ("Error storing received block or header result:
//     Error: recently signed") and stayed 130 blocks behind for good. The same check of a
//     block on a side branch compares it with the wrong branch. An incoming block is now
//     checked against the signers of its own ancestors.
// fix 14: the error of a state read before the block it reads has run
const isMissingState = (e) => /State trie does not contain state root/.test(e?.message ?? '');
const MIN_PEERS = Number.parseInt(process.env.POA_SEAL_MIN_PEERS ?? '1', 10);
const BACKUP_STEP_MS = Number.parseInt(process.env.POA_BACKUP_STEP_MS ?? '1000', 10);
const REDIAL_MS = Number.parseInt(process.env.POA_REDIAL_MS ?? '10000', 10);
const GAP_FILL_MAX = BigInt(Number.parseInt(process.env.POA_GAP_FILL_MAX ?? '256', 10));
const GAP_FILL_BACK = 8n;

const root = new URL('./node_modules/@ethereumjs/client/dist/esm/src/', import.meta.url);
const { FullEthereumService } = await import(new URL('service/fullethereumservice.js', root));
const { Miner } = await import(new URL('miner/miner.js', root));
const { FullSynchronizer } = await import(new URL('sync/fullsync.js', root));
const { RlpxServer } = await import(new URL('net/server/rlpxserver.js', root));

const sendNewBlock = FullSynchronizer.prototype.sendNewBlock;
FullSynchronizer.prototype.sendNewBlock = function (block, _peers) {
  return sendNewBlock.call(this, block, this.pool.peers);
};

// 13. bootnode pings in the background (see the header).
const bootstrap = RlpxServer.prototype.bootstrap;
RlpxServer.prototype.bootstrap = function (...args) {
  bootstrap.apply(this, args).catch((e) => this.config.logger?.debug(`poa-patches: bootstrap: ${e.message}`));
  return Promise.resolve();
};

const { Peer: RlpxConnection } = await import(
  new URL('./node_modules/@ethereumjs/devp2p/dist/esm/index.js', import.meta.url)
);
const hexId = (id) => Buffer.from(id ?? []).toString('hex');

// 15. an entry is removed by its own connection only (see the header). Exported for its test
// (tests/integration/engine/cross_dial.mjs).
export function guardPeerEntries(rlpx) {
  const entries = rlpx._peers;
  // an entry is a socket while a dial is under way, then the connection (a Peer)
  const live = (key) => {
    const entry = entries.get(key);
    return entry instanceof RlpxConnection && !entry._closed;
  };
  const remove = entries.delete.bind(entries);
  entries.delete = (key) => (live(key) ? false : remove(key));
  const emit = rlpx.events.emit.bind(rlpx.events);
  rlpx.events.emit = (event, ...args) => {
    if (event === 'peer:removed') {
      const key = hexId(args[0].getId());
      if (entries.get(key) !== args[0] && live(key)) return false;
    }
    return emit(event, ...args);
  };
}

const initRlpx = RlpxServer.prototype.initRlpx;
RlpxServer.prototype.initRlpx = function (...args) {
  const listening = initRlpx.apply(this, args); // makes this.rlpx at once, before any connection
  guardPeerEntries(this.rlpx);
  return listening;
};

// 4. redial the bootnodes that are missing (see the header).
function redial(server, rounds) {
  const self = hexId(server.rlpx.id);
  for (const p of server.dpt.getPeers()) {
    const id = hexId(p.id);
    if (server.peers.has(id)) {
      rounds.delete(id);
      continue;
    }
    const entry = server.rlpx._peers.get(id);
    const missing = rounds.get(id);
    const round = missing && missing.entry === entry ? missing.round + 1 : 1;
    rounds.set(id, { entry, round });
    if (entry instanceof RlpxConnection) {
      // connected, but not a peer: its eth handshake failed (the client leaves it open)
      if (round >= 2) entry.disconnect();
    } else if (entry === undefined && p.tcpPort && (self < id || round >= 2)) {
      server.rlpx
        .connect({ id: p.id, address: p.address, tcpPort: p.tcpPort })
        .catch((e) => server.config.logger?.debug(`poa-patches: redial ${id.slice(0, 8)}: ${e.message}`));
    }
  }
}

const serverStart = RlpxServer.prototype.start;
RlpxServer.prototype.start = async function (...args) {
  const started = await serverStart.apply(this, args);
  if (started && this.bootnodes.length > 0 && REDIAL_MS > 0) {
    const rounds = new Map(); // peer id -> how many rounds in a row it was missing, and its entry
    const timer = setInterval(() => {
      if (!this.started) return;
      if (this.peers.size >= this.bootnodes.length) {
        rounds.clear();
        return;
      }
      redial(this, rounds);
      void this.bootstrap();
    }, REDIAL_MS);
    timer.unref();
  }
  return started;
};

function toBigInt(v) {
  if (typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return v.length === 0 ? 0n : BigInt(`0x${Buffer.from(v).toString('hex')}`);
  return BigInt(v);
}

const { createBlockFromBytesArray } = await import(
  new URL('./node_modules/@ethereumjs/block/dist/esm/index.js', import.meta.url)
);

async function gapFill(service, block, peer) {
  if (service._poaFilling || !peer.idle) return;
  const height = service.chain.headers.height;
  const first = height > GAP_FILL_BACK ? height - GAP_FILL_BACK : 1n;
  const count = Number(block.header.number - first);
  if (count <= 0) return;
  service._poaFilling = true;
  peer.idle = false;
  try {
    const headers = (await peer.eth.getBlockHeaders({ block: first, max: count }))?.[1] ?? [];
    if (headers.length !== count) return;
    const bodies = (await peer.eth.getBlockBodies({ hashes: headers.map((h) => h.hash()) }))?.[1] ?? [];
    if (bodies.length !== count) return;
    const blocks = headers.map((h, i) =>
      createBlockFromBytesArray([h.raw(), bodies[i][0], bodies[i][1]], { common: h.common }),
    );
    blocks.push(block);
    await service.chain.putBlocks(blocks);
    service.config.logger?.info(
      `poa-patches: caught up blocks ${first}..${block.header.number} from peer ${peer.id.slice(0, 8)}`,
    );
  } catch (e) {
    service.config.logger?.debug(`poa-patches: catch-up failed: ${e.message}`);
  } finally {
    peer.idle = true;
    service._poaFilling = false;
  }
}

const { BlockBuilder } = await import(
  new URL('./node_modules/@ethereumjs/vm/dist/esm/buildBlock.js', import.meta.url)
);
const { createBlockHeader, BlockHeader, cliqueSigner } = await import(
  new URL('./node_modules/@ethereumjs/block/dist/esm/index.js', import.meta.url)
);
const { generateCliqueBlockExtraData } = await import(
  new URL('./node_modules/@ethereumjs/block/dist/esm/consensus/clique.js', import.meta.url)
);
// 16. "recently signed" is checked against the block's own ancestors (see the header).
const { CliqueConsensus } = await import(
  new URL('./node_modules/@ethereumjs/blockchain/dist/esm/index.js', import.meta.url)
);
const validateConsensus = CliqueConsensus.prototype.validateConsensus;
CliqueConsensus.prototype.validateConsensus = async function (block) {
  const { header } = block;
  if (header.number <= 1n) return validateConsensus.call(this, block);
  // The check reads the last signers from a list kept for the canonical chain (and saved in
  // the database): give it those of the block's own ancestors, oldest first, for this check.
  // (getBlock takes no lock: putBlock, our caller, holds the blockchain's lock.)
  const ancestors = [];
  try {
    let parentHash = header.parentHash;
    while (ancestors.length < this.cliqueSignerLimit(header.number) - 1) {
      const parent = (await this.blockchain.getBlock(parentHash)).header;
      if (parent.number === 0n) break;
      ancestors.unshift([parent.number, cliqueSigner(parent)]);
      parentHash = parent.parentHash;
    }
  } catch {
    return validateConsensus.call(this, block); // an unknown parent fails as it did
  }
  const kept = this._cliqueLatestBlockSigners;
  this._cliqueLatestBlockSigners = ancestors;
  try {
    return await validateConsensus.call(this, block);
  } finally {
    this._cliqueLatestBlockSigners = kept;
  }
};

const addTransaction = BlockBuilder.prototype.addTransaction;
BlockBuilder.prototype.addTransaction = function (...args) {
  const signerKey = this.blockOpts?.cliqueSigner;
  if (signerKey !== undefined) {
    // the tx runs against {...headerData, gasUsed}: seal exactly that header, so that the
    // fee recipient (the recovered Clique signer) is the same as when the block is imported
    const header = createBlockHeader(
      { ...this.headerData, gasUsed: this.gasUsed, extraData: new Uint8Array(97) },
      { ...this.blockOpts, freeze: false, skipConsensusFormatValidation: true },
    );
    this.headerData.extraData = generateCliqueBlockExtraData(header, signerKey);
  }
  return addTransaction.apply(this, args);
};

const consensusFormatValidation = BlockHeader.prototype._consensusFormatValidation;
BlockHeader.prototype._consensusFormatValidation = function (...args) {
  if (this.common.consensusAlgorithm() === 'clique' && this.extraData.length === 0) return;
  return consensusFormatValidation.apply(this, args);
};

const { EVM } = await import(new URL('./node_modules/@ethereumjs/evm/dist/esm/evm.js', import.meta.url));
Object.defineProperty(EVM.prototype, '_optsCached', {
  configurable: true,
  get() {
    return this._poaOpts;
  },
  set(opts) {
    this._poaOpts = opts?.cliqueSigner === undefined ? { ...opts, cliqueSigner } : opts;
  },
});

const handleEth = FullEthereumService.prototype.handleEth;
FullEthereumService.prototype.handleEth = async function (message, peer) {
  if (message.name === 'NewBlock' && peer?.eth?.status !== undefined) {
    try {
      const [block, announced] = message.data;
      const head = this.chain.blocks.latest;
      const extendsHead = Buffer.from(block.header.parentHash).equals(Buffer.from(head.hash()));
      const claimed = toBigInt(announced) + block.header.difficulty;
      if (!extendsHead && claimed > this.chain.blocks.td && claimed > peer.eth.status.td) {
        peer.eth.status.td = claimed;
        peer.eth.status.bestHash = block.hash();
        peer.eth.updatedBestHeader = undefined;
        this.config.logger?.debug(
          `poa-patches: peer ${peer.id.slice(0, 8)} is ahead (block ${block.header.number}, td ${claimed} > ${this.chain.blocks.td})`,
        );
        if (block.header.number - this.chain.headers.height <= GAP_FILL_MAX) {
          void gapFill(this, block, peer);
        }
      }
    } catch (e) {
      this.config.logger?.debug(`poa-patches: NewBlock inspection failed: ${e.message}`);
    }
  }
  if (message.name === 'NewBlockHashes' && peer?.eth?.status !== undefined) {
    try {
      const height = this.chain.headers.height;
      let best;
      for (const [hash, number] of message.data) {
        if (number > height && (best === undefined || number > best[1])) best = [hash, number];
      }
      if (best !== undefined) {
        // each Clique block adds 1 or 2 to the total difficulty: a lower bound
        const claimed = this.chain.blocks.td + (best[1] - height);
        if (claimed > peer.eth.status.td) {
          peer.eth.status.td = claimed;
          peer.eth.status.bestHash = best[0];
          peer.eth.updatedBestHeader = undefined;
          this.config.logger?.debug(
            `poa-patches: peer ${peer.id.slice(0, 8)} announced block ${best[1]} above our head ${height}`,
          );
        }
      }
    } catch (e) {
      this.config.logger?.debug(`poa-patches: NewBlockHashes inspection failed: ${e.message}`);
    }
  }
  return handleEth.call(this, message, peer);
};

const assembleBlock = Miner.prototype.assembleBlock;
Miner.prototype.assembleBlock = async function () {
  const peers = this.service.pool.peers;
  const td = this.service.chain.blocks.td;
  const ahead = [];
  for (const p of peers) {
    const st = p.eth?.status;
    if (st?.td === undefined || st.td <= td) continue;
    // a peer whose announced head we already hold is not ahead (its td may be overstated)
    try {
      await this.service.chain.blockchain.getBlock(st.bestHash);
    } catch {
      ahead.push(p);
    }
  }
  if (peers.length < MIN_PEERS || ahead.length > 0) {
    this.config.logger?.info(
      `poa-patches: not sealing (peers=${peers.length}/${MIN_PEERS}, peers ahead=${ahead.length}); retry in 1s`,
    );
    await this.queueNextAssembly(1000);
    return;
  }
  // fix 14: the new block starts from its parent's state, which exists only once the parent ran
  // (checked again after the await: a block may have arrived meanwhile)
  const parent = this.service.chain.blocks.latest;
  const ran = await this.execution.vm.stateManager.hasStateRoot(parent.header.stateRoot);
  if (!ran || !Buffer.from(this.service.chain.blocks.latest.hash()).equals(Buffer.from(parent.hash()))) {
    this.config.logger?.info(`poa-patches: not sealing on block ${parent.header.number} before it ran; retry in 0.25s`);
    await this.queueNextAssembly(250);
    return;
  }
  try {
    return await assembleBlock.call(this);
  } catch (e) {
    if (!isMissingState(e)) throw e;
    this.assembling = false;
    this.config.logger?.info(`poa-patches: parent state went missing while sealing; retry in 0.25s`);
    await this.queueNextAssembly(250);
  }
};

const queueNextAssembly = Miner.prototype.queueNextAssembly;
Miner.prototype.queueNextAssembly = async function (timeout) {
  if (!this.running || this.config.chainCommon.consensusType() !== 'poa') {
    return queueNextAssembly.call(this, timeout);
  }
  if (this._nextAssemblyTimeoutId) clearTimeout(this._nextAssemblyTimeoutId);
  let wait = timeout ?? this.period;
  const [signer] = this.config.accounts[0];
  const number = this.service.chain.blocks.latest.header.number + 1n;
  const signers = this.service.chain.blockchain.consensus.cliqueActiveSigners(number);
  const mine = signers.findIndex((a) => a.equals(signer));
  if (mine >= 0 && signers.length > 0) {
    // rank among the signers allowed to seal this block (Clique: not in the last
    // floor(n/2) blocks), counted from the in-turn signer
    const consensus = this.service.chain.blockchain.consensus;
    const limit = BigInt(consensus.cliqueSignerLimit(number));
    const recent = (consensus._cliqueLatestBlockSigners ?? [])
      .filter(([n]) => n > number - limit && n < number)
      .map(([, a]) => a);
    const inTurn = Number(number % BigInt(signers.length));
    let rank = 0;
    for (let k = 0; k < signers.length; k++) {
      const idx = (inTurn + k) % signers.length;
      if (idx === mine) break;
      if (!recent.some((a) => a.equals(signers[idx]))) rank++;
    }
    wait += rank * BACKUP_STEP_MS;
  }
  this._nextAssemblyTimeoutId = setTimeout(this.assembleBlock.bind(this), wait);
};

// 10. eth_estimateGas: pad the gas used into a gas limit that suffices (see the header).
const ESTIMATE_PAD_PERCENT = BigInt(Number.parseInt(process.env.POA_ESTIMATE_PAD_PERCENT ?? '30', 10));
const { Eth } = await import(new URL('rpc/modules/eth.js', root));
const estimateGas = Eth.prototype.estimateGas;
Eth.prototype.estimateGas = async function (params) {
  const used = BigInt(await estimateGas.call(this, params));
  const limit = this._chain.headers.latest?.gasLimit ?? 0n;
  let padded = used + (used * ESTIMATE_PAD_PERCENT) / 100n;
  if (limit > 0n && padded > limit) padded = limit > used ? limit : used;
  return `0x${padded.toString(16)}`;
};

// 11. txpool: drop transactions already below their account's nonce before selecting.
const { TxPool } = await import(new URL('service/txpool.js', root));
const { Address, hexToBytes } = await import(
  new URL('./node_modules/@ethereumjs/util/dist/esm/index.js', import.meta.url)
);
const txsByPriceAndNonce = TxPool.prototype.txsByPriceAndNonce;
TxPool.prototype.txsByPriceAndNonce = async function (vm, opts) {
  for (const [address, objects] of [...this.pool]) {
    const account = await vm.stateManager.getAccount(new Address(hexToBytes(`0x${address}`)));
    const nonce = account?.nonce ?? 0n;
    for (const obj of objects) {
      if (obj.tx.nonce < nonce) this.removeByHash(obj.hash, obj.tx);
    }
  }
  return txsByPriceAndNonce.call(this, vm, opts);
};

// 12. eth_getTransactionCount 'pending': the account's nonce plus its consecutive pool nonces.
const getTransactionCount = Eth.prototype.getTransactionCount;
Eth.prototype.getTransactionCount = async function (params) {
  const [addressHex, blockOpt] = params;
  if (blockOpt !== 'pending') return getTransactionCount.call(this, params);
  let nonce = BigInt(await getTransactionCount.call(this, [addressHex, 'latest']));
  const queued = new Set(
    (this.service.txPool.pool.get(addressHex.toLowerCase().replace(/^0x/, '')) ?? []).map((o) => o.tx.nonce),
  );
  while (queued.has(nonce)) nonce += 1n;
  return `0x${nonce.toString(16)}`;
};

// 14. state reads wait for the block's execution instead of failing (see the header).
const STATE_RETRY_MS = Number.parseInt(process.env.POA_STATE_RETRY_MS ?? '100', 10);
const STATE_WAIT_MS = Number.parseInt(process.env.POA_STATE_WAIT_MS ?? '5000', 10);
function waitingForState(method, label, loggerOf) {
  return async function (...args) {
    const started = Date.now();
    for (let retried = false; ; retried = true) {
      try {
        const result = await method.apply(this, args);
        if (retried) loggerOf(this)?.info(`poa-patches: ${label} waited ${Date.now() - started} ms for block execution`);
        return result;
      } catch (e) {
        if (!isMissingState(e) || Date.now() - started >= STATE_WAIT_MS) throw e;
        await new Promise((resolve) => setTimeout(resolve, STATE_RETRY_MS));
      }
    }
  };
}
for (const name of ['call', 'estimateGas', 'getBalance', 'getCode', 'getProof', 'getStorageAt', 'getTransactionCount']) {
  Eth.prototype[name] = waitingForState(Eth.prototype[name], `eth_${name}`, (eth) => eth.client.config.logger);
}
// eth_sendRawTransaction and gossiped transactions: the pool checks the sender's balance and
// nonce against the latest block's state
TxPool.prototype.validate = waitingForState(TxPool.prototype.validate, 'txpool validate', (pool) => pool.config.logger);
