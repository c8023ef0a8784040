"""Site claims and leases in Redis: one cluster run, shared by every worker that joins it.

A site is the seeds of one host (`crawler.urls.host_key`). Claiming a site is `SET claim NX PX lease`; a
portal's claim also holds its host (`hold:HOST`, same lease), so no other worker fetches that host while
it is claimed. Aggregator sites do not hold their host: every request they make to a host the worker does
not hold takes the host's token (`SET token:HOST NX PX delay`) first, refused while another worker holds
the host. A claim taken from a dead worker (its lease expired, the site not done) is counted in
`reclaimed`, and the dead claim's token is remembered so the duplicate filter lets the new owner refetch
what the dead one had scheduled (recorded in `refetched`). A host that answered 429/503 or an anti-bot
challenge is backed off for the run (`backoff:HOST`, expiring when the back-off ends, counted in
`backoffs`): the token script refuses it, and every worker checks it before a request leaves.

A call whose reply is lost (Redis restarted under it) is sent again, so every script answers a repeat of
the same call as it answered the first: a fingerprint is stored with a nonce of the call, and a claim
found holding the caller's own token counts as taken.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from crawler.cluster.state import ACTIVE, RUNS, as_text, key, mask_url, ms, now_ms, retrying
from crawler.seeds import Seed
from crawler.urls import canonical_url, host_key

__all__ = ["ClusterConflict", "ClusterWorker", "Site", "open_run", "sites_of"]

logger = logging.getLogger(__name__)

CLAIM_SCAN = 256  # sites whose claims are looked up in one round trip when claiming

_CLAIM = """
if redis.call('get', KEYS[1]) == ARGV[2] then return 1 end
if redis.call('sismember', KEYS[6], ARGV[1]) == 1 then return 0 end
if ARGV[4] == '1' and redis.call('exists', KEYS[2]) == 1 then return 0 end
if not redis.call('set', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
if ARGV[4] == '1' then redis.call('set', KEYS[7], ARGV[5], 'PX', ARGV[3]) end
redis.call('zadd', KEYS[8], ARGV[6], ARGV[1])
local prev = redis.call('hget', KEYS[3], ARGV[1])
redis.call('hset', KEYS[3], ARGV[1], ARGV[2])
if prev then
  redis.call('sadd', KEYS[4], prev)
  redis.call('hincrby', KEYS[5], ARGV[1], 1)
  return 2
end
return 1
"""
_RENEW = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[4] == '1' then redis.call('pexpire', KEYS[2], ARGV[2]) end
redis.call('zadd', KEYS[3], ARGV[3], ARGV[5])
return 1 + math.max(0, redis.call('pttl', KEYS[4]))
"""
_DONE = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  redis.call('del', KEYS[1])
  if redis.call('get', KEYS[2]) == ARGV[3] then redis.call('pexpire', KEYS[2], ARGV[4]) end
elseif holder then
  return 0
end
redis.call('sadd', KEYS[3], ARGV[2])
redis.call('zrem', KEYS[4], ARGV[2])
return 1
"""
_TOKEN = """
local pause = redis.call('pttl', KEYS[3])
if pause > 0 then return -pause end
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then return 1 end
if holder then return 0 end
if redis.call('set', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_BACKOFF = """
local left = redis.call('pttl', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[1])
  left = tonumber(ARGV[1])
end
redis.call('hincrby', KEYS[2], ARGV[3], 1)
return left
"""
_SEEN = """
local mine = ARGV[2] .. ' ' .. ARGV[4]
local prev = redis.call('hget', KEYS[1], ARGV[1])
if not prev or prev == mine then redis.call('hset', KEYS[1], ARGV[1], mine) return 0 end
local owner = string.match(prev, '^(%S+)')
if owner == ARGV[2] then return 1 end
if redis.call('sismember', KEYS[2], owner) == 1 then
  redis.call('hset', KEYS[1], ARGV[1], mine)
  redis.call('sadd', KEYS[3], ARGV[3])
  return 0
end
return 1
"""


class ClusterConflict(RuntimeError):
    """A second run over the same Redis database while one is active (or a run of another archive)."""


@dataclass(frozen=True)
class Site:
    """One unit of work: a host's seeds. `hold` when its walk stays on its host (not an aggregator)."""

    key: str
    seeds: tuple[Seed, ...]
    hold: bool = True

    def to_json(self) -> str:
        return json.dumps({"seeds": [asdict(seed) for seed in self.seeds], "hold": self.hold}, ensure_ascii=False)

    @classmethod
    def from_json(cls, site_key: str, text: str) -> Site:
        data = json.loads(text)
        return cls(site_key, tuple(Seed(**seed) for seed in data["seeds"]), bool(data["hold"]))


def sites_of(seeds: Iterable[Seed]) -> list[Site]:
    """The seeds grouped by host, portals first and aggregators last, each group in seed order."""
    groups: dict[str, list[Seed]] = {}
    for seed in seeds:
        groups.setdefault(host_key(canonical_url(seed.url)), []).append(seed)
    sites = [Site(k, tuple(group), hold=not all(s.is_aggregator for s in group)) for k, group in groups.items()]
    return sorted(sites, key=lambda site: not site.hold)


def open_run(client: redis.Redis, seeds: list[Seed], archive: str, run_name: str | None,
             new_id: str, wait: float) -> tuple[str, bool]:
    """Join the active run, or start one named `run_name` (or `new_id`) with these seeds; (run id, started
    it). Refuses (`ClusterConflict`) a run name other than the active run's, or another archive's run."""
    def attempt() -> tuple[str, bool]:
        found = client.get(ACTIVE)
        if found is None and run_name and client.hget(key(run_name), "state") == "finished":
            return run_name, False  # joining a finished run: nothing left to claim
        if found is None:
            run_id = run_name or new_id
            if client.set(ACTIVE, run_id, nx=True):
                _register(client, run_id, seeds, archive)
                return run_id, True
            found = client.get(ACTIVE)
            if found is None:
                raise redis.ConnectionError("the active run vanished")  # reset meanwhile: try again
        active = as_text(found)
        info = {as_text(k): as_text(v) for k, v in client.hgetall(key(active)).items()}
        if run_name and run_name != active:
            raise ClusterConflict(f"cluster run {active} is active (archive {info.get('archive')}); join it "
                                  f"(leave out --run, or --run {active}) or wait for it to finish; "
                                  f"`nianbao cluster reset` ends it")
        if info.get("archive") and info["archive"] != archive:
            raise ClusterConflict(f"cluster run {active} writes to {info['archive']}, not {archive}: "
                                  f"give the same archive folder, or use another Redis database")
        return active, False
    return retrying(attempt, wait, "joining the cluster run")


def _register(client: redis.Redis, run_id: str, seeds: list[Seed], archive: str) -> None:
    """Write a new run's sites, then mark it ready (joining workers wait for that)."""
    sites = sites_of(seeds)
    pipe = client.pipeline()
    if sites:
        pipe.hset(key(run_id, "sites"), mapping={site.key: site.to_json() for site in sites})
        pipe.rpush(key(run_id, "order"), *[site.key for site in sites])
    pipe.hset(key(run_id), mapping={"id": run_id, "archive": archive, "started_ms": now_ms(), "state": "active",
                                    "sites": len(sites), "seeds": len(seeds)})
    pipe.zadd(RUNS, {run_id: now_ms()})
    pipe.execute()


@dataclass
class ClusterWorker:
    """One worker's view of a cluster run: what it claims, holds and has done."""

    client: redis.Redis
    run_id: str
    name: str
    url: str
    lease: float = 60.0
    wait: float = 600.0
    host_delay: float = 1.0
    held: dict[str, str] = field(default_factory=dict)  # site key → claim token
    sites: dict[str, Site] = field(default_factory=dict)  # claimed sites
    seed_sites: dict[str, str] = field(default_factory=dict)  # canonical seed URL → site key
    done: list[str] = field(default_factory=list)
    reclaimed: list[str] = field(default_factory=list)
    crawled_seeds: list[Seed] = field(default_factory=list)
    started_ms: int = field(default_factory=now_ms)
    # site key → monotonic time until which the claim is surely still ours: the lease from the last
    # renewal, less two host delays (a request let through waits up to that long in its download slot)
    valid_until: dict[str, float] = field(default_factory=dict)
    # site key → monotonic time before which a site taken over from a dead claim gets no request: what the
    # old owner had let through may still be leaving its download slot
    not_before: dict[str, float] = field(default_factory=dict)
    # host key → monotonic time its back-off (a 429/503/anti-bot answer, seen by any worker) ends
    paused: dict[str, float] = field(default_factory=dict)
    backed_off: dict[str, int] = field(default_factory=dict)  # host key → answers here that paused it

    def __repr__(self) -> str:  # the client's repr would show the URL with its password
        return f"ClusterWorker(run={self.run_id!r}, worker={self.name!r}, redis={mask_url(self.url)!r})"

    def k(self, *parts: str) -> str:
        return key(self.run_id, *parts)

    def call(self, fn: Any, *args: Any, what: str = "cluster") -> Any:
        return retrying(lambda: fn(*args), self.wait, what)

    def hold_keys(self) -> set[str]:
        """Hosts this worker holds (its claimed portals): fetched without tokens."""
        return {site_key for site_key, site in self.sites.items() if site.hold}

    # --- claims ---

    def claim(self, limit: int) -> list[Site] | None:
        """Claim up to `limit` sites nobody holds; [] when every site left is claimed by others, None when
        the run has no site left to do."""
        order: list[str] = self.call(self.client.lrange, self.k("order"), 0, -1)
        done: set[str] = set(self.call(self.client.smembers, self.k("done")))
        left = [site_key for site_key in order if site_key not in done]
        if not left:
            return None
        taken: list[Site] = []
        for start in range(0, len(left), CLAIM_SCAN):
            chunk = left[start:start + CLAIM_SCAN]
            for site_key, claimed in zip(chunk, self._claimed(chunk), strict=True):
                if len(taken) >= limit:
                    return taken
                if not claimed and (site := self._try_claim(site_key)) is not None:
                    taken.append(site)
        return taken

    def _claimed(self, site_keys: list[str]) -> list[bool]:
        """Whether each site is claimed now, in one round trip: a worker claims a site each time one of its
        sites finishes, and trying each claimed site in turn would cost three calls per site."""
        def ask() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for site_key in site_keys:
                pipe.exists(self.k("claim", site_key))
            return list(pipe.execute())
        return [bool(found) for found in self.call(ask, what="claiming sites")]

    def _try_claim(self, site_key: str) -> Site | None:
        site_json = self.call(self.client.hget, self.k("sites"), site_key)
        if site_json is None:
            return None
        site = Site.from_json(site_key, site_json)
        generation = self.call(self.client.incr, self.k("gen"))
        token = f"{self.name}#{generation}"
        keys = [self.k("claim", site_key), self.k("token", site_key), self.k("owner"), self.k("dead"),
                self.k("reclaimed"), self.k("done"), self.k("hold", site_key), self.k("leases")]
        got = self.call(self.client.eval, _CLAIM, len(keys), *keys, site_key, token, ms(self.lease),
                        "1" if site.hold else "0", self.name, now_ms() + ms(self.lease), what="claiming sites")
        if not got:
            return None
        if int(got) == 2:
            self.reclaimed.append(site_key)
            self.not_before[site_key] = time.monotonic() + 2 * self.host_delay
            logger.warning("site %s: its lease expired before it was done; crawling it again", site_key)
        self.held[site_key], self.sites[site_key] = token, site
        self.valid_until[site_key] = self._validity()
        self.seed_sites.update({canonical_url(seed.url): site_key for seed in site.seeds})
        self.crawled_seeds.extend(site.seeds)
        return site

    def _validity(self) -> float:
        return time.monotonic() + self.lease - 2 * self.host_delay

    def renew(self) -> list[str]:
        """Extend the lease of every claimed site; the keys of those lost (expired and taken): their hosts
        are no longer held, so their requests wait for the host like any other worker's."""
        lost = []
        for site_key, token in list(self.held.items()):
            keys = [self.k("claim", site_key), self.k("hold", site_key), self.k("leases"), self.k("backoff", site_key)]
            hold = "1" if self.sites[site_key].hold else "0"
            valid = self._validity()
            renewed = int(self.call(self.client.eval, _RENEW, len(keys), *keys, token, ms(self.lease),
                                    now_ms() + ms(self.lease), hold, site_key, what="renewing leases"))
            if renewed:
                self.valid_until[site_key] = valid
                if renewed > 1:  # backed off by another worker (its request was under way when we claimed)
                    self.paused[site_key] = max(self.paused.get(site_key, 0.0), time.monotonic() + renewed / 1000)
            else:
                lost.append(site_key)
                self.held.pop(site_key, None)
        if lost:
            logger.error("lost the lease of %s (this worker was stalled longer than the lease)", ", ".join(lost))
        return lost

    def finish(self, site_keys: Iterable[str]) -> None:
        """Mark sites done and let their claims go; a site another worker took after this one's lease
        expired stays claimed by it (it is not done until that worker says so)."""
        for site_key in site_keys:
            token = self.held.pop(site_key, "")
            keys = [self.k("claim", site_key), self.k("hold", site_key), self.k("done"), self.k("leases")]
            # the host stays held for two host delays: another worker's first request to it (an aggregator's
            # link) comes no sooner after this worker's last one than one worker alone would send it
            finished = self.call(self.client.eval, _DONE, len(keys), *keys, token, site_key, self.name,
                                 ms(2 * self.host_delay), what="finishing sites")
            self.sites.pop(site_key, None)
            if finished:
                self.done.append(site_key)
            else:  # its lease was lost and another worker holds the site: that worker marks it done
                logger.warning("site %s: another worker took it after this one's lease expired; left to it",
                               site_key)

    # --- per request ---

    def host_token(self, host: str) -> bool:
        """May this worker send a request to `host` (a site key) now? Always for a host it holds; else only
        when no other worker holds it and no request went to it within the host delay. Never while the host
        is backed off (`back_off`, by any worker). A claim whose renewal is late (a stalled worker, a Redis
        restart) is checked in Redis before it is trusted."""
        now = time.monotonic()
        if now < max(self.not_before.get(host, 0.0), self.paused.get(host, 0.0)):
            return False
        if host in self.held and self.sites[host].hold and now < self.valid_until.get(host, 0.0):
            return True
        keys = [self.k("hold", host), self.k("token", host), self.k("backoff", host)]
        # the token outlives the request's wait in this worker's download slot (up to 1.5 delays, Scrapy's
        # randomised delay), so the next worker's request still comes at least half a delay later
        got = int(self.call(self.client.eval, _TOKEN, len(keys), *keys, self.name, ms(2 * self.host_delay),
                            what="host token"))
        if got < 0:  # another worker backed off the host: -milliseconds left
            self.paused[host] = now - got / 1000
        return got > 0

    def back_off(self, host: str, seconds: float, reason: str) -> float:
        """Pause `host` for every worker of the run for `seconds` (a longer pause already set stands);
        the seconds the pause now lasts. Counted per host for the run record."""
        keys = [self.k("backoff", host), self.k("backoffs")]
        left = int(self.call(self.client.eval, _BACKOFF, len(keys), *keys, ms(seconds), f"{self.name} {reason}",
                             host, what="host back-off"))
        self.paused[host] = time.monotonic() + left / 1000
        self.backed_off[host] = self.backed_off.get(host, 0) + 1
        return left / 1000

    def backoff_left(self, host: str) -> float:
        """Seconds before anything may be sent to `host` (0.0: now), as this worker or Redis knows it. A host
        this worker holds is asked in Redis only at lease renewals: it is the one that sees its answers, and
        a call per request would hold up the event loop between the download slot's clock and the send."""
        now = time.monotonic()
        if now < self.paused.get(host, 0.0):
            return self.paused[host] - now
        if host in self.held and self.sites[host].hold and now < self.valid_until.get(host, 0.0):
            return 0.0
        left = int(self.call(self.client.pttl, self.k("backoff", host), what="host back-off"))
        if left <= 0:
            return 0.0
        self.paused[host] = now + left / 1000
        return left / 1000

    def backed_off_hosts(self) -> dict[str, int]:
        """Every host backed off in this run, with how many answers (from all workers) paused it."""
        found = self.call(self.client.hgetall, self.k("backoffs"), what="host back-offs")
        return {as_text(host): int(count) for host, count in sorted(found.items())}

    def holds(self, host: str) -> bool:
        """Does this worker still hold `host`? Checked in Redis once the last renewal is too old to trust
        (a worker stalled longer than its lease may find its host taken)."""
        if host not in self.held or not self.sites[host].hold:
            return False
        if time.monotonic() < self.valid_until.get(host, 0.0):
            return True
        if self.call(self.client.get, self.k("hold", host), what="host check") == self.name:
            return True
        self.held.pop(host, None)
        return False

    def seen(self, fingerprint: str, seed_url: str, url: str) -> bool | None:
        """Whether the cluster already scheduled this request (None: not a request of a claimed site)."""
        site_key = self.seed_sites.get(seed_url)
        token = self.held.get(site_key or "")
        if not token:
            return None
        keys = [self.k("seen"), self.k("dead"), self.k("refetched")]
        nonce = secrets.token_hex(4)
        return bool(self.call(self.client.eval, _SEEN, len(keys), *keys, fingerprint, token, url, nonce,
                              what="dupefilter"))

    # --- the run ---

    def left(self) -> int:
        """Sites not done yet."""
        total = int(self.call(self.client.hlen, self.k("sites")))
        return total - int(self.call(self.client.scard, self.k("done")))

    def report(self, figures: Mapping[str, Any]) -> None:
        """Publish this worker's figures (`nianbao cluster status` reads them)."""
        fields = {"host": socket.gethostname(), "pid": os.getpid(), "sites_done": len(self.done),
                  "sites_claimed": len(self.held), "reclaimed": len(self.reclaimed),
                  "started_ms": self.started_ms, "seen_ms": now_ms(), **figures}
        self.call(self.client.hset, self.k("workers"), self.name, json.dumps(fields), what="worker figures")

    def close_run_if_done(self) -> bool:
        """When no site is left: mark the run finished and let the next crawl start a new one."""
        if self.left() > 0:
            return False
        pipe = self.client.pipeline()
        pipe.hset(self.k(), mapping={"state": "finished", "finished_ms": now_ms()})
        pipe.execute()
        self.call(self.client.eval, "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end",
                  1, ACTIVE, self.run_id, what="closing the run")
        return True

    def refetched(self) -> list[str]:
        """URLs scheduled again because the worker that first scheduled them lost its lease."""
        return sorted(self.call(self.client.smembers, self.k("refetched")))
