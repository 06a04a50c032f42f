# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values shared across module_utils. No imports: the bridge validator hosts load this file
without Ansible."""

from __future__ import annotations

ZERO_ADDRESS = '0x' + '00' * 20
ZERO_ADDRESS_BYTES = b'\x00' * 20
