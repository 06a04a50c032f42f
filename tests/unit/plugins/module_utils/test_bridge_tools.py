"""The bridge's operator-side helpers: deployment inputs, amounts, the status table."""
from __future__ import annotations

import pytest

from ansible_collections.poa.consortium.plugins.module_utils.bridge import deploy, status, transfer
from ansible_collections.poa.consortium.plugins.module_utils.contracts import ContractError

A = "0x" + "11" * 20
B = "0x" + "22" * 20
C = "0x" + "33" * 20
LIMITS = {"foreign": {"min_per_tx": 1, "max_per_tx": 10, "daily_limit": 100},
          "home": {"min_per_tx": 1, "max_per_tx": 10, "daily_limit": 100, "execution_daily_limit": 100}}


def settings(**over):
    base = dict(mode="erc_to_erc", validators=[A, B, C], required_signatures=2, limits=LIMITS, home_token=A)
    base.update(over)
    return base


def test_good_settings_give_checksummed_validators():
    assert deploy.check_settings(settings()) == [A, B, C]  # these addresses are their own checksum


@pytest.mark.parametrize("over, message", [
    ({"mode": "erc_to_native_x"}, "mode must be one of"),
    ({"validators": []}, "no bridge validators"),
    ({"validators": [A, A]}, "listed twice"),
    ({"required_signatures": 4}, "between 1 and the 3 validators"),
    ({"required_signatures": 0}, "between 1 and the 3 validators"),
    ({"home_token": None}, "needs home_token"),
    ({"limits": {"foreign": {"min_per_tx": 5, "max_per_tx": 1, "daily_limit": 100}, "home": LIMITS["home"]}},
     "foreign limits must satisfy"),
])
def test_bad_settings_are_refused_with_the_reason(over, message):
    with pytest.raises(ContractError, match=message):
        deploy.check_settings(settings(**over))


@pytest.mark.parametrize("text, expected", [
    ("10 RLC", 10 * 10 ** 9), ("0.5 rlc", 5 * 10 ** 8), ("1000", 1000), ("2 token", 2 * 10 ** 9),
])
def test_amounts_in_rlc_or_base_units(text, expected):
    assert transfer.parse_rlc(text) == expected


@pytest.mark.parametrize("text", ["0", "-1 RLC", "1.0000000001 RLC", "ten RLC"])
def test_bad_amounts_are_refused(text):
    with pytest.raises((ContractError, ValueError)):
        transfer.parse_rlc(text)


def test_status_rows_flag_a_silent_or_lagging_validator():
    healthy = {"validator": A, "home": {"lag": 1, "balance_wei": 10 ** 18}, "foreign": {"lag": 2, "balance_wei": 0},
               "pending": {"events": 1, "outbox": 2}}
    lagging = dict(healthy, foreign={"lag": status.MAX_LAG + 1, "balance_wei": 0})
    rows, problems = status.validator_rows([{"name": "a", "health": healthy}, {"name": "b", "health": lagging},
                                            {"name": "c", "health": {"error": "connection refused"}}])
    assert [r["pending"] for r in rows] == [3, 3, None]
    assert problems == ["bridge validator b is %d blocks behind on the foreign chain" % (status.MAX_LAG + 1),
                        "bridge validator c does not answer its health check: connection refused"]
    lines = status.table(rows, {"locked_foreign": 31 * 10 ** 9, "circulating_home": 31 * 10 ** 9})
    assert lines[0].split() == ["validator", "home", "lag", "foreign", "lag", "pending", "home", "gas", "foreign", "gas"]
    assert lines[1].split() == ["a", "1", "2", "3", "1.000", "0.000"]
    assert lines[-1] == "RLC locked on the foreign chain: 31.0; in circulation at home: 31.0"


class FakeEth:
    def __init__(self, balance):
        self.balance = balance

    def get_balance(self, _address):
        return self.balance


class FakeW3:
    def __init__(self, balance=0):
        self.eth = FakeEth(balance)


def test_supply_scales_home_wei_to_foreign_units_in_native_mode(monkeypatch):
    views = {("0xtoken", "balanceOf"): 3 * 10 ** 9, ("0xhome", "totalFunded"): 10 * 10 ** 18}
    monkeypatch.setattr(status, "call_view", lambda _w3, address, _abi, function, _args=None: views[(address, function)])
    bridge = {"mode": "erc_to_native",
              "foreign": {"bridge": {"address": "0xforeign"}, "token": {"address": "0xtoken"}},
              "home": {"bridge": {"address": "0xhome"}, "decimals_shift": 9}}
    amounts = status.supply(bridge, FakeW3(7 * 10 ** 18), FakeW3())
    assert amounts == {"locked_foreign": 3 * 10 ** 9, "circulating_home": 3 * 10 ** 9, "funded_home": 10 * 10 ** 18,
                       "balanced": True}
    # one wei of dust in flight breaks the balance
    assert not status.supply(bridge, FakeW3(7 * 10 ** 18 - 1), FakeW3())["balanced"]


def test_a_native_withdrawal_is_read_in_wei():
    bridge = {"mode": "erc_to_native", "home": {"bridge": {"address": A}, "decimals_shift": 9},
              "foreign": {"bridge": {"address": B}, "token": {"address": C}}}
    assert transfer.Route(bridge, "withdraw", None, None).decimals == 18
    assert transfer.Route(bridge, "deposit", None, None).decimals == 9
    assert transfer.parse_rlc("2 RLC", 18) == 2 * 10 ** 18
