# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""units.parse_wei: the one amount parser (chain spec balances, funding, bridge transfers)."""

from __future__ import annotations

import pytest

from ansible_collections.poa.consortium.plugins.module_utils.units import parse_wei


@pytest.mark.parametrize('value, expected', [
    (7, 7), ('7', 7), ('0x10', 16), ('1.5 ether', 1500000000000000000), ('2 GWEI', 2000000000),
    ('1 eth', 10 ** 18), ('123456789012345678901234567890 ether', 123456789012345678901234567890 * 10 ** 18),
])
def test_parse_wei(value, expected):
    assert parse_wei(value) == expected


def test_tokens_need_their_decimals():
    assert parse_wei('12 token', token_decimals=9) == 12000000000
    assert parse_wei('0.5 tokens', token_decimals=2) == 50
    assert parse_wei('1 ether', token_decimals=6) == 10 ** 18
    with pytest.raises(ValueError, match='unknown unit'):
        parse_wei('12 token')
    with pytest.raises(ValueError, match='whole number of base units'):
        parse_wei('0.001 token', token_decimals=2)


@pytest.mark.parametrize('value, message', [
    (True, 'boolean'), (-1, 'negative'), ('-1 ether', 'negative'), (1.5, 'expected an integer'),
    ('1 foo', 'unknown unit'), ('0.5 wei', 'whole number of wei'), ('a b c', 'is not an amount'),
    ('x ether', 'not a number'), ('0xzz', 'not valid hex'),
])
def test_bad_amounts(value, message):
    with pytest.raises(ValueError, match=message):
        parse_wei(value)
