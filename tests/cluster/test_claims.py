"""Site claims, leases, host tokens and the shared duplicate filter against a real redis-server."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from archive.lock import ArchiveLocked, acquire_lock, live_worker_locks, release_lock
from crawler.cli import main
from crawler.cluster.claims import ClusterConflict, ClusterWorker, open_run, sites_of
from crawler.cluster.state import connect, mask_url
from crawler.cluster.status import reset_run, run_status, status_lines
from crawler.run import EXIT_LOCKED, CrawlRequest, run_crawl
from crawler.seeds import Seed
from tests.cluster.redis_server import RedisServer


def _seeds(count: int = 3) -> list[Seed]:
    seeds = [Seed(f"测试{n}县人民政府", "测试省", "测试市", f"测试{n}县", f"http://127.0.1.{n + 1}:8080/")
             for n in range(count)]
    seeds.append(Seed("测试省人民政府", "测试省", "", "", "http://127.0.2.1:8080/zwgk/nb/", "aggregator"))
    seeds.append(Seed("测试1县财政局", "测试省", "测试市", "测试1县", "http://127.0.1.2:8080/czj/"))
    return seeds


def _worker(client: redis.Redis, run_id: str, name: str, lease: float = 60.0) -> ClusterWorker:
    return ClusterWorker(client, run_id, name, "redis://127.0.0.1/0", lease=lease, wait=5, host_delay=0.5)


def test_sites_group_seeds_by_host_and_put_aggregators_last() -> None:
    sites = sites_of(_seeds())
    assert [site.key for site in sites] == ["127.0.1.1:8080", "127.0.1.2:8080", "127.0.1.3:8080", "127.0.2.1:8080"]
    assert [len(site.seeds) for site in sites] == [1, 2, 1, 1]
    assert [site.hold for site in sites] == [True, True, True, False]


def test_second_run_is_refused_and_joining_is_welcome(redis_server: RedisServer, tmp_path: Path) -> None:
    client = connect(redis_server.url)
    archive = str(tmp_path / "archive")
    assert open_run(client, _seeds(), archive, None, "run-a", 5) == ("run-a", True)
    assert open_run(client, _seeds(), archive, None, "run-b", 5) == ("run-a", False)
    assert open_run(client, _seeds(), archive, "run-a", "run-c", 5) == ("run-a", False)
    with pytest.raises(ClusterConflict, match="run-a is active"):
        open_run(client, _seeds(), archive, "run-b", "run-d", 5)
    with pytest.raises(ClusterConflict, match="writes to"):
        open_run(client, _seeds(), str(tmp_path / "other"), None, "run-e", 5)
    worker = _worker(client, "run-a", "w1")
    while (batch := worker.claim(10)) is not None:
        worker.finish(site.key for site in batch)
    assert worker.close_run_if_done()
    assert open_run(client, _seeds(), archive, "run-a", "run-g", 5) == ("run-a", False)  # finished: nothing to do
    assert _worker(client, "run-a", "late").claim(10) is None
    assert open_run(client, _seeds(), archive, None, "run-f", 5) == ("run-f", True)  # the next night's run


def test_an_expired_lease_returns_the_site_and_declares_the_refetch(redis_server: RedisServer) -> None:
    client = connect(redis_server.url)
    open_run(client, _seeds(), "/archive", None, "run", 5)
    dead, alive = _worker(client, "run", "dead", lease=0.5), _worker(client, "run", "alive")
    [first] = dead.claim(1) or []
    url = "http://127.0.1.1:8080/xxgk/ndbg/t2023.html"
    assert dead.seen("fp-report", "http://127.0.1.1:8080/", url) is False
    assert dead.seen("fp-report", "http://127.0.1.1:8080/", url) is True
    assert not dead.host_token("127.0.1.1:8080") or dead.sites[first.key].hold
    assert alive.host_token("127.0.1.1:8080") is False  # held by the other worker
    taken = [site.key for site in alive.claim(10) or []]
    assert first.key not in taken
    time.sleep(0.7)  # `dead` never renews: its lease expires
    again = [site.key for site in alive.claim(10) or []]
    assert again == [first.key]
    assert alive.reclaimed == [first.key]
    assert alive.seen("fp-report", "http://127.0.1.1:8080/", url) is False  # scheduled by a dead claim
    assert alive.refetched() == [url]
    assert alive.seen("fp-report", "http://127.0.1.1:8080/", url) is True


def test_a_stalled_worker_finishing_a_site_taken_from_it_leaves_it_to_the_new_holder(
        redis_server: RedisServer) -> None:
    """A worker stalled past its lease comes back and finishes the site another worker now crawls: the site
    stays claimed (and reclaimable if the new holder dies) until the new holder finishes it."""
    client = connect(redis_server.url)
    open_run(client, _seeds(), "/archive", None, "run", 5)
    stalled, taker = _worker(client, "run", "stalled", lease=0.5), _worker(client, "run", "taker", lease=0.5)
    [site] = stalled.claim(1) or []
    time.sleep(0.7)
    assert site.key in [s.key for s in taker.claim(10) or []]
    assert stalled.renew() == [site.key]
    stalled.finish([site.key])
    assert not client.sismember(taker.k("done"), site.key)
    assert client.zscore(taker.k("leases"), site.key) is not None  # the taker's lease, still watched
    assert stalled.done == []
    time.sleep(0.7)  # the taker dies in its turn: a third worker gets the site
    third = _worker(client, "run", "third")
    assert site.key in [s.key for s in third.claim(10) or []]
    third.finish([site.key])
    assert client.sismember(taker.k("done"), site.key) and third.done == [site.key]


def test_renewal_keeps_the_claim_and_tokens_space_requests(redis_server: RedisServer) -> None:
    client = connect(redis_server.url)
    open_run(client, _seeds(), "/archive", None, "run", 5)
    # renewed every third of the lease (as workers do) for longer than the lease: a renewal late by up to
    # a second (a loaded machine descheduling the test) still finds its claims
    owner, other = _worker(client, "run", "owner", lease=1.5), _worker(client, "run", "other", lease=1.5)
    owner.claim(4)
    for _ in range(4):
        time.sleep(0.5)
        assert owner.renew() == []
    assert (other.claim(10) or []) == []  # everything is still held
    assert other.host_token("198.51.100.7") is True  # a host nobody holds: one request per host delay
    assert other.host_token("198.51.100.7") is False
    assert owner.host_token("198.51.100.7") is False
    time.sleep(0.55)
    assert owner.host_token("198.51.100.7") is False  # two host delays: the first request may still be queued
    time.sleep(0.5)
    assert owner.host_token("198.51.100.7") is True


def test_status_and_reset_never_show_the_password(tmp_path: Path) -> None:
    from tests.conftest import require_program

    server = RedisServer(require_program("redis-server"), tmp_path / "redis", password="s3cret-pw")
    try:
        client = connect(server.url)
        open_run(client, _seeds(), "/archive", None, "run", 5)
        worker = _worker(client, "run", "w1")
        worker.claim(2)
        worker.report({"pages": 12, "errors": 1, "blocked": 0, "state": "crawling"})
        status = run_status(client)
        assert status is not None
        assert (status.sites, status.done, status.claimed, status.left) == (4, 0, 2, 4)
        text = "\n".join(status_lines(status))
        assert "w1\tcrawling\t12\t" in text
        assert "s3cret" not in mask_url(server.url) and "s3cret" not in repr(worker)
        shown = CliRunner().invoke(main, ["cluster", "status", server.url])
        assert shown.exit_code == 0 and "w1\tcrawling\t12\t" in shown.output and "s3cret" not in shown.output
        assert reset_run(client) == "run"
        assert run_status(client) is None and client.keys("nianbao:run:run*") == []
    finally:
        server.stop()


def test_worker_locks_refuse_a_single_machine_crawl(tmp_path: Path) -> None:
    acquire_lock(tmp_path, "cluster-run", "lock.w1")
    assert [holder["run_id"] for holder in live_worker_locks(tmp_path)] == ["cluster-run"]
    with pytest.raises(ArchiveLocked):
        acquire_lock(tmp_path, "cluster-run", "lock.w1")  # the same worker name twice
    release_lock(tmp_path, "lock.w1")
    assert live_worker_locks(tmp_path) == []


def test_a_single_machine_crawl_is_refused_while_a_worker_writes(tmp_path: Path) -> None:
    acquire_lock(tmp_path, "cluster-run", "lock.w1")
    try:
        outcome = run_crawl(CrawlRequest(seeds=[], seeds_path=tmp_path / "seeds.csv", archive=tmp_path))
    finally:
        release_lock(tmp_path, "lock.w1")
    assert outcome.code == EXIT_LOCKED
    assert "cluster run cluster-run" in outcome.messages[0]


def test_a_worker_lock_of_another_host_is_never_taken_for_stale(tmp_path: Path) -> None:
    (tmp_path / "lock.b1").write_text(json.dumps({"pid": 999_999_999, "run_id": "r", "host": "machine-b"}))
    assert [holder["host"] for holder in live_worker_locks(tmp_path)] == ["machine-b"]
    with pytest.raises(ArchiveLocked):
        acquire_lock(tmp_path, "r", "lock.b1")


class _LosesFirstReplies(redis.Redis):
    """A client whose first call of each script runs on the server but whose reply never arrives, as
    when Redis is restarted under a worker: the worker sends the call again."""

    lost: set[str]

    def eval(self, script: str, numkeys: int, *args: Any) -> Any:  # type: ignore[override]
        answer = super().eval(script, numkeys, *args)
        if script not in self.lost:
            self.lost.add(script)
            raise redis.ConnectionError("connection lost before the reply")
        return answer


def test_a_call_sent_again_after_a_lost_reply_is_answered_as_the_first(redis_server: RedisServer) -> None:
    open_run(connect(redis_server.url), _seeds(), "/archive", None, "run", 5)
    client = _LosesFirstReplies(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    client.lost = set()
    worker = _worker(client, "run", "w1")
    [site] = worker.claim(1) or []  # the claim was taken by the first call: it is ours
    assert site.key == "127.0.1.1:8080" and worker.held
    url = "http://127.0.1.1:8080/xxgk/ndbg/"
    assert worker.seen("fp-list", "http://127.0.1.1:8080/", url) is False  # scheduled once, not a duplicate
    assert worker.seen("fp-list", "http://127.0.1.1:8080/", url) is True


def test_a_finished_site_keeps_its_host_for_two_delays(redis_server: RedisServer) -> None:
    client = connect(redis_server.url)
    open_run(client, _seeds(), "/archive", None, "run", 5)
    owner, aggregator = _worker(client, "run", "owner"), _worker(client, "run", "aggregator")
    [site] = owner.claim(1) or []
    owner.finish([site.key])
    assert aggregator.host_token(site.key) is False  # the owner's last request may have just left
    time.sleep(1.05)  # two host delays of 0.5 s
    assert aggregator.host_token(site.key) is True


def test_a_stalled_worker_finds_its_host_taken_before_it_sends(redis_server: RedisServer) -> None:
    client = connect(redis_server.url)
    open_run(client, _seeds(), "/archive", None, "run", 5)
    stalled = ClusterWorker(client, "run", "stalled", "redis://127.0.0.1/0", lease=1.2, wait=5, host_delay=0.1)
    [site] = stalled.claim(1) or []
    assert stalled.holds(site.key)
    time.sleep(1.3)  # no renewal: stalled longer than its lease
    taker = _worker(client, "run", "taker")
    assert site.key in [s.key for s in taker.claim(1) or []]
    assert stalled.holds(site.key) is False and site.key not in stalled.held
    assert stalled.host_token(site.key) is False  # it now waits like any other worker
