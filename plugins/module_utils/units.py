# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wei amounts with units: 100, "0x64", "100 ether", "1.5 ether", "5 gwei"."""

from __future__ import annotations

import decimal
import traceback

try:
    from eth_utils.currency import units as _UNITS
    HAS_ETH_UTILS = True
    ETH_UTILS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover
    HAS_ETH_UTILS = False
    ETH_UTILS_IMPORT_ERROR = traceback.format_exc()
    _UNITS = {}


def _multiplier(unit, value, token_decimals):
    if unit in ("token", "tokens") and token_decimals is not None:
        return decimal.Decimal(10) ** int(token_decimals)
    unit = "ether" if unit == "eth" else unit
    if unit not in _UNITS:
        raise ValueError("unknown unit %r in %r (use wei, gwei, ether%s)"
                         % (unit, value, ", token" if token_decimals is not None else ", ..."))
    return _UNITS[unit]


def parse_wei(value, token_decimals=None):
    """Return an int number of wei (or token base units), or raise ValueError with a readable message.

    Accepts an int, a decimal string, a 0x hex string, or "<number> <unit>" where unit is one
    of eth_utils' denominations (wei, kwei, gwei, szabo, finney, ether, ...) or eth. With
    ``token_decimals``, "<number> token" is that many whole tokens of an ERC-20 with those decimals.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount of wei")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative amount %d" % value)
        return value
    if not isinstance(value, str):
        raise ValueError("expected an integer or a string like \"100 ether\", got %s" % type(value).__name__)
    text = value.strip()
    if text[:2].lower() == "0x":
        try:
            return int(text, 16)
        except ValueError:
            raise ValueError("%r is not valid hex" % value) from None
    parts = text.split()
    if len(parts) == 1 and parts[0].isdigit():
        return int(parts[0])
    if len(parts) == 2:
        multiplier = _multiplier(parts[1].lower(), value, token_decimals)
        try:
            amount = decimal.Decimal(parts[0])
        except decimal.InvalidOperation:
            raise ValueError("%r is not a number in %r" % (parts[0], value)) from None
        if amount < 0:
            raise ValueError("negative amount %r" % value)
        with decimal.localcontext() as context:
            context.prec = 999  # as eth_utils.to_wei: exact for any amount written by hand
            result = amount * multiplier
        if result != result.to_integral_value():
            raise ValueError("%r is not a whole number of %s" % (value, "base units" if token_decimals else "wei"))
        return int(result)
    raise ValueError("%r is not an amount: write an integer, 0x hex, or \"<number> <unit>\" like \"100 ether\"" % value)
