"""The `nianbao` command: documented subcommands, clear refusal of bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import ROOT

COMMANDS = ["crawl", "index", "search", "serve", "verify", "export", "pack", "demo", "changes", "similar", "cluster"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_example_and_readme_entry(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"nianbao {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_crawl_refuses_bad_seeds_before_fetching(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,url\nx,广东省,,http://127.0.0.1/\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--seeds", str(seeds), "--archive", str(tmp_path / "a")])
    assert result.exit_code == 1
    assert "line 1: header lacks column(s) county" in result.output
    assert not (tmp_path / "a").exists()


def test_bad_setting_override_is_refused(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,county,url\nx,广东省,,,http://127.0.0.1/\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["crawl", "--seeds", str(seeds), "--archive", str(tmp_path / "a"),
                                       "-s", "NOEQUALS"])
    assert result.exit_code == 2
    assert "is not NAME=VALUE" in result.output


@pytest.mark.parametrize(("setting", "said"), [
    ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY='abc': expected a number"),
    ("NIANBAO_MAX_LIST_PAGES=-5", "NIANBAO_MAX_LIST_PAGES='-5': must be at least 1"),
    ("NIANBAO_MAX_LIST_PAGE=5", "NIANBAO_MAX_LIST_PAGE: not a nianbao setting; did you mean NIANBAO_MAX_LIST_PAGES?"),
    ("NIANBAO_WARC_GZIP_LEVEL=12", "must be between 0 and 9"),
    ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY='maybe': expected True or False"),
])
@pytest.mark.parametrize("command", ["crawl", "demo"])
def test_bad_settings_are_refused_before_anything_starts(tmp_path: Path, command: str, setting: str,
                                                        said: str) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,county,url\n某局,某省,,,http://127.0.0.2/\n", encoding="utf-8")
    args = ["crawl", "--seeds", str(seeds), "--archive", str(tmp_path / "a")] if command == "crawl" else \
        ["demo", "--archive", str(tmp_path / "a")]
    done = subprocess.run([sys.executable, "-m", "crawler.cli", *args, "-s", setting], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert "Demo finished" not in done.stdout and not (tmp_path / "a" / "warc").exists()


@pytest.mark.parametrize("command", ["index", "pack", "verify", "search", "export", "serve"])
@pytest.mark.parametrize("state", ["missing", "empty", "other"])
def test_a_folder_that_is_not_an_archive_is_refused_with_one_message(tmp_path: Path, command: str,
                                                                     state: str) -> None:
    folder = tmp_path / "not-an-archive"
    if state != "missing":
        folder.mkdir()
    if state == "other":
        (folder / "notes.txt").write_text("x", encoding="utf-8")
    args = [command, "--archive", str(folder)] + (["复议"] if command == "search" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert f"{folder} is not a nianbao archive" in result.output
    assert f"nianbao crawl --seeds FILE --archive {folder}" in result.output
    assert not (tmp_path / "not-an-archive").exists() or state != "missing"  # nothing created
    assert not list(tmp_path.rglob("*.wacz"))


def test_pack_refuses_arc_files_by_name(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import FIXTURES

    archive = tmp_path / "a"
    (archive / "warc").mkdir(parents=True)
    arc = next(p for p in (FIXTURES / "warcs").iterdir() if p.name.endswith((".arc", ".arc.gz")))
    shutil.copy(arc, archive / "warc" / arc.name)
    result = CliRunner().invoke(main, ["pack", "--archive", str(archive)])
    assert result.exit_code == 1 and f"cannot pack ARC files into a WACZ (it holds WARC files only): {arc.name}" \
        in result.output
    assert not list(archive.glob("*.wacz"))
