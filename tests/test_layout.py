"""The project's shape: import direction, scrapy project, documented settings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# A package may import only the packages listed for it (plus the standard library and third parties).
ALLOWED = {"extract": set(), "archive": {"extract"}, "crawler": {"archive", "extract"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_import_direction(package: str) -> None:
    forbidden = set(ALLOWED) - ALLOWED[package] - {package}
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) & forbidden
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert not offenders, "import back-edges:\n" + "\n".join(offenders)


def test_extract_does_not_import_scrapy() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "extract").rglob("*.py")
                 if {"scrapy", "twisted", "sqlite_utils", "warcio"} & _imports(p)]
    assert not offenders


def test_scrapy_list_from_project_root() -> None:
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "reports" in result.stdout.split()


def test_every_declared_setting_is_in_the_readme() -> None:
    from crawler.settings.declared import SETTINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"README lacks settings {missing}; paste `python -m crawler.settings.declared` output"


def test_package_never_reads_shared() -> None:
    offenders = [str(p.relative_to(ROOT)) for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py")
                 if "../shared" in p.read_text(encoding="utf-8")]
    assert not offenders
