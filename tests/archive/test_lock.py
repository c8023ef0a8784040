"""ARCHIVE/lock: one writing crawl per archive, and a stale lock taken over by exactly one process."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.synchronize
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from archive.lock import ArchiveLocked, acquire_lock, live_lock_holder, release_lock

CONTENDERS = 4
ROUNDS = 200


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _stale(archive: Path, pid: int) -> None:
    holder = {"pid": pid, "run_id": "killed-run", "started": "2026-11-25T04:00:00Z"}
    (archive / "lock").write_text(json.dumps(holder))


def _contend(archive: str, rounds: int, start: multiprocessing.synchronize.Barrier,
             end: multiprocessing.synchronize.Barrier, results: Connection) -> None:
    """Each round: wait for the stale lock, race for it, and hold what was won until all have tried."""
    import logging

    logging.disable(logging.WARNING)  # the takeover warning, once per round
    try:
        for index in range(rounds):
            start.wait()
            try:
                acquire_lock(Path(archive), f"run-{os.getpid()}-{index}")
                won = True
            except ArchiveLocked:
                won = False
            results.send(won)
            end.wait()  # the winner stays alive (and holds the lock) until all have tried
            if won:
                release_lock(Path(archive))
            end.wait()
    except threading.BrokenBarrierError:  # the test failed and called the rounds off
        pass


def test_exactly_one_process_takes_over_a_stale_lock(tmp_path: Path) -> None:
    context = multiprocessing.get_context("forkserver")
    start, end = context.Barrier(CONTENDERS + 1), context.Barrier(CONTENDERS + 1)
    pipes = [context.Pipe(duplex=False) for _ in range(CONTENDERS)]
    workers = [context.Process(target=_contend, args=(str(tmp_path), ROUNDS, start, end, sender))
               for _receiver, sender in pipes]
    for worker in workers:
        worker.start()
    dead = _dead_pid()
    winners = []
    try:
        for _round in range(ROUNDS):
            _stale(tmp_path, dead)
            start.wait(timeout=60)
            won = [receiver.recv() for receiver, _sender in pipes]
            winners.append(sum(won))
            holder = live_lock_holder(tmp_path)
            winning = {w.pid for w, ok in zip(workers, won, strict=True) if ok}
            assert holder is not None and holder["pid"] in winning
            end.wait(timeout=60)
            end.wait(timeout=60)
            assert not (tmp_path / "lock").exists()  # released by its holder
    finally:
        start.abort()
        end.abort()
        for worker in workers:
            worker.join(30)
            if worker.exitcode is None:
                worker.kill()
    doubled = sum(w > 1 for w in winners)
    assert winners == [1] * ROUNDS, f"rounds with more than one winner: {doubled} of {ROUNDS}"
    assert all(worker.exitcode == 0 for worker in workers)


def test_a_live_holder_keeps_the_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _stale(tmp_path, holder.pid)
        with pytest.raises(ArchiveLocked, match=f"pid {holder.pid}"):
            acquire_lock(tmp_path, "second-run")
        assert live_lock_holder(tmp_path) == {"pid": holder.pid, "run_id": "killed-run",
                                              "started": "2026-11-25T04:00:00Z"}
        release_lock(tmp_path)  # not ours: left alone
        assert (tmp_path / "lock").exists()
    finally:
        holder.kill()
        holder.wait()
    acquire_lock(tmp_path, "third-run")  # the holder is gone: its lock is stale now
    assert live_lock_holder(tmp_path) == {"pid": os.getpid(), "run_id": "third-run",
                                          "started": live_lock_holder(tmp_path)["started"]}  # type: ignore[index]
    release_lock(tmp_path)
    assert not (tmp_path / "lock").exists()


@pytest.mark.parametrize("content", ["", "{\"run_id\": \"x\"", "not json"])
def test_an_unreadable_lock_is_stale(tmp_path: Path, content: str) -> None:
    (tmp_path / "lock").write_text(content)
    acquire_lock(tmp_path, "run")
    assert json.loads((tmp_path / "lock").read_text())["pid"] == os.getpid()
