# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A complete iExec PoCo instance (Diamond proxy, facets, registries, configuration, categories)
deployed from the artifacts of the @iexec/poco npm package, as an idempotent plan of steps.

Follows the order of PoCo's own deploy script (deploy/0_deploy.ts, v6.1.0): proxy facets and the
Diamond, the IexecLibOrders_v5 library and the facets linked to it, one diamondCut per facet
(selectors already in the proxy are skipped), the three registries (initialize, setBaseURI),
configure() (which also sets the EIP-712 domain), the categories, then an optional hand-over of
ownership. The code is our own.

Steps are grouped in levels: everything in a level only depends on earlier levels, so its
transactions go out together (consecutive nonces) and are awaited together. Each deployment is
recorded in the manifest (pending before it is sent, complete after), each transaction is
preceded by an on-chain check, so a run killed midway is finished by the next one without
duplicates.
"""

from __future__ import annotations

import json
import os

from ansible_collections.poa.consortium.plugins.module_utils.constants import ZERO_ADDRESS
from ansible_collections.poa.consortium.plugins.module_utils.contracts import (
    Artifact, ContractError, Deployer, RevertError, call_view, encode_call, load_artifact, parse_artifact,
)

try:
    from eth_utils import function_abi_to_4byte_selector, to_checksum_address
except ImportError:  # pragma: no cover - reported by the module through HAS_WEB3
    pass

LIB_ORDERS = 'contracts/libs/IexecLibOrders_v5.sol:IexecLibOrders_v5'
PROXY_FACETS = ['DiamondCutFacet', 'DiamondLoupeFacet', 'OwnershipFacet']
# Same order as upstream: the first facet that declares a selector gets it.
FACETS = [
    'IexecAccessorsABILegacyFacet', 'IexecCategoryManagerFacet', 'IexecConfigurationExtraFacet',
    'IexecConfigurationFacet', 'IexecERC20Facet', '<escrow>', 'IexecOrderManagementFacet', 'IexecPoco1Facet',
    'IexecPoco2Facet', 'IexecPocoAccessorsFacet', 'IexecPocoBoostFacet', 'IexecPocoBoostAccessorsFacet',
    'IexecRelayFacet',
]
BOOST_FACETS = ('IexecPocoBoostFacet', 'IexecPocoBoostAccessorsFacet')
REGISTRIES = [('AppRegistry', 'app'), ('DatasetRegistry', 'dataset'), ('WorkerpoolRegistry', 'workerpool')]
DEFAULT_CATEGORIES = [
    {'name': 'XS', 'description': '', 'workClockTimeRef': 300},
    {'name': 'S', 'description': '', 'workClockTimeRef': 1200},
    {'name': 'M', 'description': '', 'workClockTimeRef': 3600},
    {'name': 'L', 'description': '', 'workClockTimeRef': 10800},
    {'name': 'XL', 'description': '', 'workClockTimeRef': 36000},
]
DEFAULT_BASE_URIS = {
    'app': 'https://nfts-metadata.iex.ec/app',
    'dataset': 'https://nfts-metadata.iex.ec/dataset',
    'workerpool': 'https://nfts-metadata.iex.ec/workerpool',
}
ADD, REPLACE = 0, 1
OWNABLE_ABI = [
    {'type': 'function', 'name': 'owner', 'stateMutability': 'view', 'inputs': [], 'outputs': [{'name': '', 'type': 'address'}]},
    {'type': 'function', 'name': 'transferOwnership', 'stateMutability': 'nonpayable',
     'inputs': [{'name': 'newOwner', 'type': 'address'}], 'outputs': []},
]
HUB_KEY = 'poco_hub'
RLC_KEY = 'rlc'


def selectors_of(abi):
    """4-byte selectors of the functions of an ABI, with receive as 0x00000000 and fallback as 0xffffffff."""
    out = []
    for entry in abi:
        if entry.get('type') == 'function':
            out.append('0x' + function_abi_to_4byte_selector(entry).hex())
        elif entry.get('type') == 'receive':
            out.append('0x00000000')
        elif entry.get('type') == 'fallback':
            out.append('0xffffffff')
    return out


class PocoArtifacts:
    """Finds the artifacts in an unpacked @iexec/poco package (and the RLC truffle artifact)."""

    def __init__(self, poco_dir, rlc_artifact=None, deployments_network='arbitrum'):
        if not poco_dir or not os.path.isdir(os.path.join(poco_dir, 'artifacts', 'contracts')):
            raise ContractError('%s does not look like the @iexec/poco package: no artifacts/contracts in it. Fetch it with '
                                '"npm pack @iexec/poco@6.1.0" and unpack the tarball there.' % poco_dir)
        self.poco_dir = poco_dir
        self.rlc_artifact = rlc_artifact
        self.deployments_dir = os.path.join(poco_dir, 'deployments', deployments_network)
        self._index = {}
        for root, _dirs, files in os.walk(os.path.join(poco_dir, 'artifacts', 'contracts')):
            for name in files:
                if name.endswith('.json') and not name.endswith('.dbg.json'):
                    self._index.setdefault(name[:-5], []).append(os.path.join(root, name))
        self._cache = {}

    def get(self, name):
        if name in self._cache:
            return self._cache[name]
        if name == 'RLC':
            if not self.rlc_artifact:
                raise ContractError('token mode needs the RLC artifact (rlc-faucet-contract build/contracts/RLC.json) '
                                    'or an existing token address')
            art = load_artifact(self.rlc_artifact)
        elif name in PROXY_FACETS + ['DiamondInit']:
            # these exist only as hardhat-deploy records of the upstream deployments
            path = os.path.join(self.deployments_dir, name + '.json')
            art = load_artifact(path)
            art.name = name
        else:
            paths = [p for p in self._index.get(name, []) if os.sep + 'contracts' + os.sep in p]
            if len(paths) != 1:
                raise ContractError('cannot find a single artifact for %s under %s/artifacts/contracts (found %d)' % (
                    name, self.poco_dir, len(paths)))
            art = load_artifact(paths[0])
        if name == 'IexecLibOrders_v5':
            # web3.py rejects this ABI (colliding selectors); the library is only ever linked, so
            # deploy it from its bytecode alone.
            art = Artifact(art.name, [], art.bytecode, art.link_references, source=art.source, origin=art.origin)
        self._cache[name] = art
        return art


class PocoPlan:
    """Deploys or completes one PoCo instance; every step is idempotent."""

    def __init__(self, w3, signer, manifest, artifacts, mode='token', token=None, owner=None, categories=None,
                 base_uris=None, boost=True, check_mode=False, on_mismatch='fail', prefix='poco_', log=None):
        if mode not in ('token', 'native'):
            raise ContractError('mode must be token or native')
        self.w3 = w3
        self.signer = signer
        self.manifest = manifest
        self.art = artifacts
        self.mode = mode
        self.token = to_checksum_address(token) if token else None
        self.owner = to_checksum_address(owner) if owner else None
        self.categories = DEFAULT_CATEGORIES if categories is None else categories
        self.base_uris = dict(DEFAULT_BASE_URIS, **(base_uris or {}))
        self.boost = boost
        self.check_mode = check_mode
        self.prefix = prefix
        self.deployer = Deployer(w3, signer, manifest, on_mismatch=on_mismatch, check_mode=check_mode)
        self.log = log or (lambda msg: None)
        self.levels = []          # per level: {'deploy': [...], 'transact': [...]}, what this run did
        self.pending_work = []    # check mode: what a real run would do
        self.tx_hashes = []
        self.chain_id = int(w3.eth.chain_id)

    # -- names -----------------------------------------------------------------------------------
    def key(self, name):
        if name == 'Diamond':
            return HUB_KEY
        if name == 'RLC':
            return RLC_KEY
        return self.prefix + name

    def address(self, name):
        record = self.manifest.get(self.key(name))
        if not record or record.get('pending'):
            raise ContractError('%s is not deployed yet' % name)
        return to_checksum_address(record['address'])

    def escrow(self):
        return 'IexecEscrowTokenFacet' if self.mode == 'token' else 'IexecEscrowNativeFacet'

    def facets(self):
        out = []
        for name in FACETS:
            name = self.escrow() if name == '<escrow>' else name
            if name in BOOST_FACETS and not self.boost:
                continue
            out.append(name)
        return out

    # -- generic level runner ----------------------------------------------------------------------
    def level(self, title, deploy=None, transact=None):
        """Run one level: everything in it is independent, so all its transactions go out before any wait.

        deploy: [(name, args_fn, libraries_fn)], the callables run only when a deployment is needed.
        transact: [(label, address, abi, function, args, is_done)] (or a callable returning it); is_done()
        reads the chain and decides whether the transaction is needed.
        """
        entry = {'level': title, 'deployed': [], 'transactions': []}
        first_tx = len(self.tx_hashes)
        handles = []
        for name, args_fn, libs_fn in deploy or []:
            state, detail = self.deployer.status(self.key(name))
            if state in ('present', 'mined'):
                continue
            if state == 'pending':  # sent by a run that was stopped: wait for it, do not send again
                if self.check_mode:
                    self.pending_work.append('wait for %s' % name)
                    continue
                self.deployer.wait_pending(self.key(name), detail)
                self.tx_hashes.append(detail['tx_hash'])
                entry['deployed'].append(self.key(name))
                continue
            if self.check_mode:
                self.pending_work.append('deploy %s' % name)
                continue
            art = self.art.get(name)
            handles.append(self.deployer.start(self.key(name), art, args_fn() if args_fn else [],
                                               libs_fn() if libs_fn else None))
        # A short reorg can put our last transactions back in the pool, where "latest" lacks their
        # effect (or the code of a contract just deployed) until they are mined again: wait for
        # them before any look at the chain, and again before sending.
        self.signer.settle()
        items = transact() if callable(transact) else (transact or [])
        todo = [item for item in items if not item[5]()]
        if todo:
            self.signer.settle()
            todo = [item for item in todo if not item[5]()]
        if self.check_mode:
            self.pending_work.extend(item[0] for item in todo)
            self.levels.append(entry)
            return entry
        txs = []
        for label, address, abi, function, args, _is_done in todo:
            data = encode_call(abi, function, args)[1]
            try:
                tx = self.signer.build(to=address, data=data, abi=abi)
            except RevertError as exc:
                raise RevertError('%s would revert: %s' % (label, exc), exc.data)
            txs.append((label, abi, tx))
        cost = sum(self.signer.cost(h['tx']) for h in handles) + sum(self.signer.cost(item[2]) for item in txs)
        if cost:
            self.signer.check_funds(cost)
        if handles:
            self.deployer.send(handles)  # recorded as pending in the manifest first
        sent = [(label, abi, self.signer.send(tx)) for label, abi, tx in txs]
        if handles:
            self.deployer.finish(handles)
            self.tx_hashes.extend(h['tx_hash'] for h in handles)
            entry['deployed'].extend(h['name'] for h in handles)
        for label, abi, tx_hash in sent:
            self.signer.wait(tx_hash, abi=abi)
            self.tx_hashes.append(tx_hash)
            entry['transactions'].append(label)
        for item in todo:
            if not item[5]():
                raise ContractError('%s was sent but the chain does not show its effect' % item[0])
        receipts = [self.signer.receipts[h] for h in self.tx_hashes[first_tx:] if h in self.signer.receipts]
        entry['gas_used'] = sum(int(r['gasUsed']) for r in receipts)
        entry['blocks'] = sorted({int(r['blockNumber']) for r in receipts})
        self.levels.append(entry)
        self.log('%s: deployed %s, sent %s' % (title, entry['deployed'], entry['transactions']))
        return entry

    def _all_deployed(self, names):
        for name in names:
            state = self.deployer.status(self.key(name))[0]
            if state not in ('present', 'mined'):
                return False
        return True

    # -- the plan ----------------------------------------------------------------------------------
    def diamond_args(self):
        cuts = []
        for name in PROXY_FACETS:
            cuts.append([self.address(name), ADD, selectors_of(self.art.get(name).abi)])
        init = self.address('DiamondInit')
        calldata = encode_call(self.art.get('DiamondInit').abi, 'init', [])[1]
        return [cuts, [self.signer.address, init, calldata]]

    def lib_links(self):
        return {LIB_ORDERS: self.address('IexecLibOrders_v5')}

    def cut_items(self):
        """One diamondCut per facet: Add selectors the hub lacks, Replace those pointing at an old facet."""
        hub = self.address('Diamond')
        loupe = self.art.get('DiamondLoupeFacet').abi
        cut_abi = self.art.get('DiamondCutFacet').abi
        claimed = set()
        for name in PROXY_FACETS:
            claimed.update(selectors_of(self.art.get(name).abi))
        items = []
        for name in self.facets():
            facet = self.address(name)
            mine = [s for s in selectors_of(self.art.get(name).abi) if s not in claimed]
            claimed.update(mine)
            current = {s: call_view(self.w3, hub, loupe, 'facetAddress', [s]) for s in mine}
            add = [s for s in mine if int(current[s], 16) == 0]
            replace = [s for s in mine if int(current[s], 16) != 0 and current[s].lower() != facet.lower()]
            cuts = []
            if add:
                cuts.append([facet, ADD, add])
            if replace:
                cuts.append([facet, REPLACE, replace])

            def done(hub=hub, mine=tuple(mine), facet=facet):
                return all(call_view(self.w3, hub, loupe, 'facetAddress', [s]).lower() == facet.lower() for s in mine)
            items.append(('diamondCut %s (%d selectors)' % (name, len(mine)), hub, cut_abi, 'diamondCut',
                          [cuts, ZERO_ADDRESS, b''], done if cuts else (lambda: True)))
        return items

    def registry_items(self, what):
        items = []
        for name, kind in REGISTRIES:
            reg = self.address(name)
            abi = self.art.get(name).abi
            if what == 'initialize':
                items.append(('%s.initialize' % name, reg, abi, 'initialize', [ZERO_ADDRESS],
                              lambda reg=reg, abi=abi: bool(call_view(self.w3, reg, abi, 'initialized'))))
            else:
                uri = '%s/%d/' % (self.base_uris[kind].rstrip('/'), self.chain_id)
                items.append(('%s.setBaseURI %s' % (name, uri), reg, abi, 'setBaseURI', [uri],
                              lambda reg=reg, abi=abi, uri=uri: call_view(self.w3, reg, abi, 'baseURI') == uri))
        return items

    def token_address(self):
        if self.mode == 'native':
            return ZERO_ADDRESS
        return self.token or self.address('RLC')

    def config_items(self):
        hub = self.address('Diamond')
        conf_abi = self.art.get('IexecConfigurationFacet').abi
        acc_abi = self.art.get('IexecPocoAccessorsFacet').abi
        cat_abi = self.art.get('IexecCategoryManagerFacet').abi
        items = [('configure (token %s, EIP-712 domain)' % self.token_address(), hub, conf_abi, 'configure',
                  [self.token_address(), 'Staked RLC', 'SRLC', 9, self.address('AppRegistry'), self.address('DatasetRegistry'),
                   self.address('WorkerpoolRegistry'), ZERO_ADDRESS],
                  lambda: call_view(self.w3, hub, acc_abi, 'eip712domain_separator') != b'\x00' * 32)]
        count = int(call_view(self.w3, hub, acc_abi, 'countCategory'))
        for index in range(count, len(self.categories)):
            cat = self.categories[index]
            # upstream passes JSON.stringify(description) as the description string
            items.append(('createCategory %d %s' % (index, cat['name']), hub, cat_abi, 'createCategory',
                          [cat['name'], json.dumps(cat.get('description', '')), int(cat['workClockTimeRef'])],
                          lambda index=index: int(call_view(self.w3, hub, acc_abi, 'countCategory')) > index))
        return items

    def ownership_items(self):
        names = ['Diamond'] + [reg[0] for reg in REGISTRIES]
        if self.mode == 'token' and not self.token:
            names.append('RLC')
        items = []
        for name in names:
            address = self.address(name)
            items.append(('%s.transferOwnership %s' % (name, self.owner), address, OWNABLE_ABI, 'transferOwnership', [self.owner],
                          lambda address=address: call_view(self.w3, address, OWNABLE_ABI, 'owner').lower() == self.owner.lower()))
        return items

    def run(self):
        self.signer.settle()  # transactions a killed run left in the pool are mined before any check
        level0 = [(n, None, None) for n in ['IexecLibOrders_v5', 'DiamondInit'] + PROXY_FACETS]
        level0 += [(n, None, None) for n in self.facets() if not self.art.get(n).link_references]
        level0 += [(reg[0], None, None) for reg in REGISTRIES]
        if self.mode == 'token' and not self.token:
            level0.insert(0, ('RLC', None, None))
        self.level('0: library, proxy facets, facets, registries, token', deploy=level0)
        level1 = [('Diamond', self.diamond_args, None)]
        level1 += [(n, None, self.lib_links) for n in self.facets() if self.art.get(n).link_references]
        everything = [item[0] for item in level0 + level1]
        if self.check_mode and not self._all_deployed([item[0] for item in level0]):
            self.pending_work.extend('deploy %s' % item[0] for item in level1 if not self._all_deployed([item[0]]))
            self.pending_work.append('then: diamond cuts, registries, configuration, categories, ownership')
            return self.result()
        self.level('1: Diamond, linked facets, registry initialisation', deploy=level1,
                   transact=lambda: self.registry_items('initialize'))
        if self.check_mode and not self._all_deployed(everything):
            self.pending_work.append('then: diamond cuts, registries, configuration, categories, ownership')
            return self.result()
        self.level('2: diamond cuts, registry base URIs',
                   transact=lambda: self.cut_items() + self.registry_items('baseURI'))
        if self.check_mode and self.pending_work:
            self.pending_work.append('then: configuration and categories')
            return self.result()
        self.level('3: configuration, EIP-712 domain, categories', transact=self.config_items)
        if self.owner and self.owner.lower() != self.signer.address.lower():
            self.level('4: ownership to %s' % self.owner, transact=self.ownership_items)
        return self.result()

    def result(self):
        contracts = {}
        for key, record in self.manifest.data.get('contracts', {}).items():
            if (key in (HUB_KEY, RLC_KEY) or key.startswith(self.prefix)) and not record.get('pending'):
                contracts[key] = record['address']
        changed = bool(self.tx_hashes) or bool(self.pending_work) or self.deployer.changed
        out = {'changed': changed, 'mode': self.mode, 'contracts': contracts, 'hub': contracts.get(HUB_KEY),
               'token': None if self.mode == 'native' else (self.token or contracts.get(RLC_KEY)),
               'levels': self.levels, 'transactions': len(self.tx_hashes)}
        if self.check_mode:
            out['would_do'] = self.pending_work
        receipts = [self.signer.receipts[h] for h in self.tx_hashes if h in self.signer.receipts]
        out['gas_used'] = sum(int(r['gasUsed']) for r in receipts)
        out['blocks'] = len({int(r['blockNumber']) for r in receipts})
        return out


def deploy_poco(w3, signer, manifest, poco_dir, rlc_artifact=None, deployments_network='arbitrum', **kwargs):
    """Convenience entry point: returns the result dict of PocoPlan.run()."""
    artifacts = PocoArtifacts(poco_dir, rlc_artifact, deployments_network)
    return PocoPlan(w3, signer, manifest, artifacts, **kwargs).run()


__all__ = ['PocoArtifacts', 'PocoPlan', 'deploy_poco', 'selectors_of', 'parse_artifact']
