# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The picture of docs/architecture.md, drawn from the code itself: site.yml's phases in their
order, the roles each phase runs, the modules each role or phase calls, and the module_utils
each module imports (a Mermaid flowchart).

    python scripts/architecture-graph.py           rewrite the picture in docs/architecture.md
    python scripts/architecture-graph.py --check   exit 1 when the page's picture is not the code's
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- architecture-graph: begin -->", "<!-- architecture-graph: end -->"
PREFIX = "poa.consortium."
INCLUDES = {"ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"}
IMPORT_PLAYBOOK = "ansible.builtin.import_playbook"


def _tasks(items):
    """Every task of a task list, blocks and their rescue/always opened."""
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def _uses(tasks):
    """(roles, modules) named by a list of tasks."""
    roles, modules = set(), set()
    for task in _tasks(tasks):
        for key, value in task.items():
            if key in INCLUDES and isinstance(value, dict):
                roles.add(str(value.get("name", "")).removeprefix(PREFIX))
            elif key.startswith(PREFIX):
                modules.add(key.removeprefix(PREFIX))
    return roles, modules


def playbook_uses(path: Path):
    roles, modules = set(), set()
    for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        if IMPORT_PLAYBOOK in play:  # a phase that imports another (hosts.yml) runs its roles too
            more_roles, more_modules = playbook_uses(path.parent / play[IMPORT_PLAYBOOK])
            roles |= more_roles
            modules |= more_modules
        for entry in play.get("roles", []) or []:
            name = entry if isinstance(entry, str) else entry.get("role", entry.get("name", ""))
            roles.add(str(name).removeprefix(PREFIX))
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            more_roles, more_modules = _uses(play.get(section))
            roles |= more_roles
            modules |= more_modules
    return roles, modules


def role_uses(role: str):
    roles, modules = set(), set()
    for path in sorted((ROOT / "roles" / role / "tasks").glob("*.yml")):
        more_roles, more_modules = _uses(yaml.safe_load(path.read_text(encoding="utf-8")))
        roles |= more_roles
        modules |= more_modules
    roles.discard(role)
    return roles, modules


def _exported(init: Path):
    """Names a package's __init__.py binds (its re-exports), empty for a plain folder or file."""
    if not init.is_file():
        return set()
    names = set()
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.ImportFrom, ast.Import)):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def module_imports(module: str):
    """The module_utils files a module imports: a name that is a file of module_utils (or of one of
    its packages) is that file; a name taken from a package's __init__ is the package's folder."""
    utils = ROOT / "plugins" / "module_utils"
    tree = ast.parse((ROOT / "plugins" / "modules" / (module + ".py")).read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or "module_utils" not in (node.module or "").split("."):
            continue
        base = "/".join((node.module or "").split(".module_utils", 1)[1].lstrip(".").split("."))
        exported = _exported(utils / base / "__init__.py")
        for alias in node.names:
            path = "/".join(part for part in (base, alias.name) if part)
            if alias.name in exported:
                found.add(base + "/")
            elif (utils / (path + ".py")).is_file():
                found.add(path + ".py")
            elif (utils / path).is_dir():
                found.add(path + "/")
            elif (utils / (base + ".py")).is_file():
                found.add(base + ".py")
            elif base and (utils / base).is_dir():
                found.add(base + "/")
    return found


def phases():
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8"))
    return [play[IMPORT_PLAYBOOK] for play in site if IMPORT_PLAYBOOK in play]


def _id(kind, name):
    return "%s_%s" % (kind, re.sub(r"\W", "_", name))


def graph() -> str:
    lines = ["flowchart LR"]
    edges = []
    role_names, module_names = set(), set()
    previous = None
    for phase in phases():
        pid = _id("p", phase)
        lines.append('  %s["%s"]' % (pid, phase))
        if previous:
            edges.append("  %s ==> %s" % (previous, pid))
        previous = pid
        roles, modules = playbook_uses(ROOT / "playbooks" / phase)
        edges += ["  %s --> %s" % (pid, _id("r", r)) for r in sorted(roles)]
        edges += ["  %s -.-> %s" % (pid, _id("m", m)) for m in sorted(modules)]
        role_names |= roles
        module_names |= modules
    pending = sorted(role_names)
    while pending:
        role = pending.pop(0)
        roles, modules = role_uses(role)
        edges += ["  %s --> %s" % (_id("r", role), _id("r", r)) for r in sorted(roles)]
        edges += ["  %s -.-> %s" % (_id("r", role), _id("m", m)) for m in sorted(modules)]
        module_names |= modules
        for other in roles - role_names:
            role_names.add(other)
            pending.append(other)
    util_names = set()
    for module in sorted(module_names):
        utils = module_imports(module)
        edges += ["  %s --- %s" % (_id("m", module), _id("u", u)) for u in sorted(utils)]
        util_names |= utils
    lines += ['  %s(["role %s"])' % (_id("r", r), r) for r in sorted(role_names)]
    lines += ['  %s[/"%s"/]' % (_id("m", m), m) for m in sorted(module_names)]
    lines += ['  %s[("%s")]' % (_id("u", u), u) for u in sorted(util_names)]
    return "\n".join(lines + sorted(set(edges), key=edges.index)) + "\n"


def block() -> str:
    return "%s\n```mermaid\n%s```\n%s" % (BEGIN, graph(), END)


def main(argv) -> int:
    page = PAGE.read_text(encoding="utf-8")
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        print("docs/architecture.md has no %s ... %s block" % (BEGIN, END), file=sys.stderr)
        return 1
    current = page[start:end + len(END)]
    if "--check" in argv:
        if current != block():
            print("docs/architecture.md: the picture is not the code's; run python scripts/architecture-graph.py",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page[:start] + block() + page[end + len(END):], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
