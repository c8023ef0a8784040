"""`nianbao cluster status|reset`: what a cluster run has done, read from Redis, and clearing a run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis

from crawler.cluster.state import ACTIVE, RUNS, as_text, key, now_ms

__all__ = ["RunStatus", "WorkerStatus", "reset_run", "run_status", "status_lines"]


@dataclass(frozen=True)
class WorkerStatus:
    """One worker's figures as it last published them."""

    name: str
    state: str
    pages: int
    errors: int
    blocked: int
    sites_done: int
    sites_claimed: int
    reclaimed: int
    seconds: float  # from its start to its last report
    silent: float  # seconds since its last report

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class RunStatus:
    """A cluster run's progress: sites done, claimed and left, and each worker."""

    run_id: str
    state: str
    archive: str
    sites: int
    done: int
    claimed: int
    reclaimed: int
    refetched: int
    workers: list[WorkerStatus] = field(default_factory=list)
    backed_off: dict[str, int] = field(default_factory=dict)  # host → answers that paused it (429/503/anti-bot)

    @property
    def left(self) -> int:
        return self.sites - self.done


def _latest_run(client: redis.Redis) -> str | None:
    active = client.get(ACTIVE)
    if active:
        return str(active)
    latest = client.zrevrange(RUNS, 0, 0)
    return str(latest[0]) if latest else None


def run_status(client: redis.Redis, run_id: str | None = None) -> RunStatus | None:
    """The status of run `run_id` (default: the active run, else the latest); None when there is none."""
    run_id = run_id or _latest_run(client)
    info: dict[str, Any] = {as_text(k): as_text(v) for k, v in client.hgetall(key(run_id)).items()} if run_id else {}
    if not run_id or not info:
        return None
    now = now_ms()
    workers = []
    for name, text in sorted(client.hgetall(key(run_id, "workers")).items()):
        figures = json.loads(text)
        workers.append(WorkerStatus(
            as_text(name), figures.get("state", ""), int(figures.get("pages", 0)), int(figures.get("errors", 0)),
            int(figures.get("blocked", 0)), int(figures.get("sites_done", 0)), int(figures.get("sites_claimed", 0)),
            int(figures.get("reclaimed", 0)), (figures["seen_ms"] - figures["started_ms"]) / 1000,
            (now - figures["seen_ms"]) / 1000))
    reclaimed = sum(int(v) for v in client.hvals(key(run_id, "reclaimed")))
    return RunStatus(run_id, info.get("state", ""), info.get("archive", ""), int(info.get("sites", 0)),
                     int(client.scard(key(run_id, "done"))), int(client.zcount(key(run_id, "leases"), now, "+inf")),
                     reclaimed, int(client.scard(key(run_id, "refetched"))), workers,
                     {as_text(h): int(n) for h, n in sorted(client.hgetall(key(run_id, "backoffs")).items())})


def status_lines(status: RunStatus) -> list[str]:
    """The status as lines for the terminal."""
    pages = sum(w.pages for w in status.workers)
    rate = sum(w.pages_per_second for w in status.workers if w.state == "crawling" and w.silent < 120)
    lines = [f"run {status.run_id} ({status.state}) → {status.archive}",
             f"sites: {status.done} done, {status.claimed} claimed, {status.left - status.claimed} waiting, "
             f"{status.sites} in all; {status.reclaimed} crawled again after a lease expired "
             f"({status.refetched} URLs scheduled again)",
             f"pages: {pages}; errors: {sum(w.errors for w in status.workers)}; "
             f"blocked sites: {sum(w.blocked for w in status.workers)}; {rate:.1f} pages/s (workers crawling, "
             f"each since its start)",
             _backoff_line(status.backed_off),
             "worker\tstate\tpages\tpages/s\terrors\tblocked\tsites done\tclaimed\tlast heard"]
    for w in status.workers:
        lines.append(f"{w.name}\t{w.state}\t{w.pages}\t{w.pages_per_second:.2f}\t{w.errors}\t{w.blocked}\t"
                     f"{w.sites_done}\t{w.sites_claimed}\t{w.silent:.0f} s ago")
    return lines


def _backoff_line(backed_off: dict[str, int]) -> str:
    """Hosts backed off after 429/503/anti-bot answers, the most paused first (ten at most)."""
    if not backed_off:
        return "hosts backed off: none"
    most = sorted(backed_off.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{host} ×{count}" for host, count in most[:10])
    return (f"hosts backed off: {len(backed_off)} ({sum(backed_off.values())} answers 429/503/anti-bot): {shown}"
            + (", …" if len(most) > 10 else ""))


def reset_run(client: redis.Redis, run_id: str | None = None) -> str | None:
    """Delete run `run_id` (default: the active run, else the latest) and every key of it; its id, or None."""
    run_id = run_id or _latest_run(client)
    if not run_id or not client.exists(key(run_id)):
        return None
    names = [*client.scan_iter(match=key(run_id, "*"), count=1000), key(run_id)]
    for start in range(0, len(names), 500):
        client.delete(*names[start:start + 500])
    client.zrem(RUNS, run_id)
    client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end", 1, ACTIVE, run_id)
    return run_id
