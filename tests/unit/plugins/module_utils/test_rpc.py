# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rpc.run_module, the shared main() of the signing modules, against a stand-in AnsibleModule."""

from __future__ import annotations

import pytest

from ansible_collections.poa.consortium.plugins.module_utils import contracts, rpc


class Exited(Exception):
    pass


class Failed(Exception):
    pass


class FakeModule:
    """Records what fail_json/exit_json get and stops there, as AnsibleModule does (sys.exit)."""

    def exit_json(self, **kwargs):
        raise Exited(kwargs)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


def outcome(run, **fail_extra):
    with pytest.raises((Exited, Failed)) as info:
        rpc.run_module(FakeModule(), run, **fail_extra)
    return info.type.__name__, info.value.args[0]


def test_result_is_exited_with():
    assert outcome(lambda module: {'changed': True, 'address': '0x1'}) == ('Exited', {'changed': True, 'address': '0x1'})


@pytest.mark.parametrize('error', [rpc.RpcError('node down'), contracts.ContractError('node down'), rpc.RevertError('node down')])
def test_rpc_errors_become_fail_json(error):
    def run(module):
        raise error
    assert outcome(run) == ('Failed', {'msg': 'node down'})
    assert outcome(run, state='failed') == ('Failed', {'msg': 'node down', 'state': 'failed'})


def test_other_errors_are_not_swallowed():
    def run(module):
        raise KeyError('bug')
    with pytest.raises(KeyError):
        rpc.run_module(FakeModule(), run)


@pytest.mark.parametrize('flag, error_attr, lib', [('HAS_WEB3', 'WEB3_IMPORT_ERROR', 'web3'),
                                                   ('HAS_ETH_ABI', 'ETH_ABI_IMPORT_ERROR', 'eth-abi')])
def test_missing_library_fails_before_run(monkeypatch, flag, error_attr, lib):
    monkeypatch.setattr(rpc, flag, False)
    monkeypatch.setattr(rpc, error_attr, 'Traceback: ImportError')
    calls = []
    kind, args = outcome(lambda module: calls.append(module) or {})
    assert kind == 'Failed' and calls == []
    assert 'Failed to import the required Python library (%s)' % lib in args['msg']
    assert args['exception'] == 'Traceback: ImportError'


class _Receipts:
    """A w3 whose eth.get_transaction_receipt raises or returns what it is given."""

    def __init__(self, outcome):
        self.eth = self
        self.outcome = outcome

    def get_transaction_receipt(self, _tx_hash):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def test_no_receipt_yet_while_geth_indexes_or_does_not_know_the_transaction():
    from web3.exceptions import TransactionNotFound, Web3RPCError
    assert rpc.receipt_or_none(_Receipts(Web3RPCError("{'code': -32000, 'message': "
                                                      "'transaction indexing is in progress'}")), '0x1') is None
    assert rpc.receipt_or_none(_Receipts(TransactionNotFound('0x1')), '0x1') is None
    assert rpc.receipt_or_none(_Receipts({'status': 1}), '0x1') == {'status': 1}
    with pytest.raises(Web3RPCError, match='header not found'):
        rpc.receipt_or_none(_Receipts(Web3RPCError('header not found')), '0x1')


@pytest.mark.parametrize('url', ['127.0.0.1:8545', 'localhost', 'ftp://127.0.0.1:8545'])
def test_an_rpc_url_without_its_scheme_is_refused_with_the_form_expected(url):
    with pytest.raises(rpc.RpcError, match=r'is not an HTTP URL: give it as http://host:port'):
        rpc.connect(url)
