# nianbao: two commands on a fresh machine — `make demo` and `make test`.
PY ?= python3
VENV := .venv
TOOLS := .venv-tools
APT_PACKAGES := chromium chromium-driver fonts-wqy-zenhei antiword redis-server tesseract-ocr tesseract-ocr-chi-sim
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint install tools sysdeps bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Community web-archive tools live in their own venv: pywb 2.10 pins old redis/werkzeug and pulls
# brotlipy, whose `brotli` module would shadow the one Scrapy uses.
$(TOOLS)/.installed:
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --upgrade pip
	$(TOOLS)/bin/pip install -q "pywb>=2.9" "wacz>=0.5" "cdxj-indexer>=1.4" "warcio>=1.7.4"
	touch $@

tools: $(TOOLS)/.installed

# Debian packages the tests use (browser test, .doc extraction, redis). Installed only when missing,
# and only as root; elsewhere the tests that need them skip (outside CI) and say why.
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing Debian packages:$$missing (run as root: apt-get install$$missing)"; fi; \
	fi

demo: install
	$(VENV)/bin/nianbao demo

# Lint and types: ruff (rules in pyproject.toml) and mypy on the packages and the benchmarks.
lint: install
	$(VENV)/bin/ruff check crawler archive extract bench tests
	$(VENV)/bin/mypy crawler archive extract bench

test: install tools sysdeps
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(VENV)/bin/python -m pytest -m "not e2e and not browser and not tools" $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) demo-archive .pytest_cache
