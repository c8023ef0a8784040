"""Settings for tests and the demo: loopback portals, no delays, still robots-obeying."""

from .base import *  # noqa: F401,F403

DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = False
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 15
LOG_LEVEL = "INFO"
