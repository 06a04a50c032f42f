# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The owner, group and mode of a written file, as the modules take them."""

from __future__ import annotations

from ansible_collections.poa.consortium.plugins.module_utils import fileio
from ansible_collections.poa.consortium.plugins.module_utils.keys.common import KeysError


def _resolve_id(value, lookup, field, what, option):
    """A name or numeric id -> its number through ``lookup`` (None stays None)."""
    if value is None or value == '':
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return getattr(lookup(value), field)
    except KeyError:
        raise KeysError('%s %r does not exist on this host; create it first or fix %s' % (what, value, option))


def resolve_uid(owner):
    """User name or numeric id -> uid (None stays None)."""
    import pwd
    return _resolve_id(owner, pwd.getpwnam, 'pw_uid', 'user', 'owner')


def resolve_gid(group):
    """Group name or numeric id -> gid (None stays None)."""
    import grp
    return _resolve_id(group, grp.getgrnam, 'gr_gid', 'group', 'group')


# the modules' and the tests' name for it
octal_mode = fileio.octal_mode
