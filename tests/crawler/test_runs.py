"""Run ids and the resume chain: runs started within one second still sort in the order they ran."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.plan import new_run_id, resume_chain


def test_run_ids_sort_in_start_order_within_a_second() -> None:
    ids = [new_run_id() for _ in range(50)]
    assert sorted(ids) == ids


def test_resume_chain_is_the_interrupted_harvest_and_its_resumes(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    modes = [("nightly", "incremental"), ("harvest", "harvest"), ("resume1", "resume"), ("resume2", "resume")]
    ids = {}
    for name, mode in modes:
        ids[name] = new_run_id()
        (runs / f"{ids[name]}.json").write_text(json.dumps({"id": ids[name], "mode": mode}), encoding="utf-8")
    assert resume_chain(tmp_path, ids["resume2"]) == [ids["resume1"], ids["harvest"]]
    assert resume_chain(tmp_path, "a-new-run") == [ids["resume2"], ids["resume1"], ids["harvest"]]
