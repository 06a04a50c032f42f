# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/architecture.md stays true to the code: every phase of site.yml in its order, and every
role, module and module_utils file named on the page."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_the_phases_are_those_of_site_yml_in_their_order():
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8"))
    phases = [play["ansible.builtin.import_playbook"] for play in site if "ansible.builtin.import_playbook" in play]
    assert len(phases) >= 5
    positions = [PAGE.find(" " + phase + " ") for phase in phases]
    assert -1 not in positions, dict(zip(phases, positions))
    assert positions == sorted(positions), dict(zip(phases, positions))


def test_every_role_module_and_module_utils_file_is_on_the_page():
    names = [path.name for path in sorted((ROOT / "roles").iterdir()) if path.is_dir()]
    names += [path.stem for path in sorted((ROOT / "plugins" / "modules").glob("*.py"))]
    utils = ROOT / "plugins" / "module_utils"
    names += [str(path.relative_to(utils)) for path in sorted(utils.rglob("*.py")) if path.name != "__init__.py"]
    missing = [name for name in names if "`%s`" % name not in PAGE]
    assert not missing, "docs/architecture.md does not say where these live: %s" % missing


def test_the_picture_is_drawn_from_the_code():
    """The Mermaid picture is what scripts/architecture-graph.py draws from site.yml, the roles'
    tasks and the modules' imports today."""
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "architecture-graph.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
