"""Cluster crawl: several worker processes (on one or more machines) share one run through Redis.

Sites (the seeds of one host) are the units of work: a worker claims a few with a lease, crawls them,
renews the lease while it works and marks them done; a worker that dies (SIGKILL) stops renewing, and its
sites return to the others when the lease expires. A claimed portal's host is held by its worker alone, so
a host is never fetched faster than one worker would fetch it; requests to hosts a worker does not hold
(an aggregator's links, attachments on a file server) take a short per-host token in Redis first.

- `crawler.cluster.state`: the Redis connection (password masked in every message), retries while Redis
  is away, key names.
- `crawler.cluster.claims`: the run (create, join, refuse), site claims and leases, host tokens, the
  shared duplicate filter, per-worker figures.
- `crawler.cluster.backoff`: which answers (429, 503, anti-bot challenges) pause a host for the whole
  cluster, and for how long (Retry-After, capped).
- `crawler.cluster.spider`: the reports spider fed from claims, the host-token middleware, the dupefilter.
- `crawler.cluster.worker`: one worker's run (join, per-worker lock, plan, Scrapy, run records).
- `crawler.cluster.status`: `nianbao cluster status` and `reset`.
"""
