# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bridge_validator role copies the service's own modules to each host: exactly
bridge/service.py and what it imports of this collection, at any depth."""
from __future__ import annotations

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
PREFIX = "ansible_collections.poa.consortium.plugins.module_utils"


def _module_file(parts: list[str]) -> str | None:
    path = MODULE_UTILS.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return str(path.with_suffix(".py").relative_to(MODULE_UTILS))
    if (path / "__init__.py").is_file():
        return str((path / "__init__.py").relative_to(MODULE_UTILS))
    return None


def imported_closure(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((MODULE_UTILS / name).read_text())):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
                parts = [p for p in node.module[len(PREFIX):].split(".") if p]
                modules = [parts] + [parts + [alias.name] for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [[p for p in alias.name[len(PREFIX):].split(".") if p]
                           for alias in node.names if alias.name.startswith(PREFIX)]
            todo += [f for f in (_module_file(m) for m in modules if m) if f]
    return seen


def test_the_role_copies_exactly_what_the_service_imports():
    listed = yaml.safe_load((ROOT / "roles" / "bridge_validator" / "vars" / "main.yml").read_text())
    closure = imported_closure("bridge/service.py")
    assert "rpc.py" in closure and "bridge/store.py" in closure  # the walk does follow the imports
    assert sorted(listed["bridge_validator_code_files"]) == sorted(closure)
