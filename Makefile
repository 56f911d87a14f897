# One entry point for set-up. `make sweep` and `make test` set up everything they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hwgen-installed
APT_PACKAGES := yosys opensta iverilog qflow-tech-osu018 qflow-tech-osu035 postgresql

.PHONY: setup sweep test benchmarks tools clean

setup: $(STAMP) tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Synthesis, the second simulator and PostgreSQL (for the shared-study tests) come from Debian;
# installed only when missing.
tools:
	@missing=""; \
	for cmd in yosys sta iverilog; do command -v $$cmd >/dev/null 2>&1 || missing=1; done; \
	for lib in osu018 osu035; do test -f /usr/share/qflow/tech/$$lib/$${lib}_stdcells.lib || missing=1; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

sweep: setup
	$(VENV)/bin/hwgen sweep

test: setup
	$(PY) -m pytest -q --durations=15

# Regenerates BENCHMARKS.md and the reports it cites (long: synthesis, cached). QUICK=1: CI-sized sections.
benchmarks: setup
	$(PY) -m benchmarks $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) build .hwgen-cache
