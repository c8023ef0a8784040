"""Settings for scheduled production crawls: the polite base, logged at INFO."""

from .base import *  # noqa: F401,F403

LOG_LEVEL = "INFO"
