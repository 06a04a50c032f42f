# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token bridge validator service (docs/bridge.md).

Pure Python on web3.py and eth-account, no Ansible at run time: the service is started as
``python -m ansible_collections.poa.consortium.plugins.module_utils.bridge.service --config FILE``.

- message: the 104-byte withdrawal message, its signature and the affirmation hash;
- abi: the minimal ABIs the service calls (hand-written, so that the package works alone);
- store: the SQLite state (cursors, events, outbox);
- logic: decoding logs, grouping them per transaction, deciding what to do;
- chain: connections, the keystore, sending with a local nonce;
- health: the loopback HTTP health endpoint;
- service: the main loop.
"""
