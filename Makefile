# One entry point for set-up. `make sweep` and `make test` set up what they need first
# (`make sweep`: the runtime packages only; `make test`: also the test packages and tools).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hwgen-installed
DEV_STAMP := $(VENV)/.hwgen-dev-installed
APT_PACKAGES := yosys opensta iverilog qflow-tech-osu018 qflow-tech-osu035 postgresql gcc

.PHONY: setup setup-sweep sweep test benchmarks tools clean

# Everything: the runtime, the test packages (PyTorch CPU, pytest) and the Debian tools.
setup: $(DEV_STAMP) tools

# What a sweep needs: the runtime packages only (no PyTorch, pytest or synthesis tools).
setup-sweep: $(STAMP)

$(STAMP): pyproject.toml
	@echo "set-up: creating $(VENV) and installing hwgen's runtime packages (about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "set-up: installing the test packages: PyTorch CPU (~900 MB), pytest, hypothesis (1-3 minutes)"
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# Synthesis, the second simulator and PostgreSQL (for the shared-study tests) come from Debian;
# installed only when missing.
tools:
	@missing=""; \
	for cmd in yosys sta iverilog cc; do command -v $$cmd >/dev/null 2>&1 || missing=1; done; \
	for lib in osu018 osu035; do test -f /usr/share/qflow/tech/$$lib/$${lib}_stdcells.lib || missing=1; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
	  echo "set-up: installing $(APT_PACKAGES) with apt (about a minute)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

sweep: setup-sweep
	$(VENV)/bin/hwgen sweep

test: setup
	$(PY) -m pytest -q --durations=15

# Regenerates BENCHMARKS.md and the reports it cites (long: synthesis, cached). QUICK=1: CI-sized sections.
benchmarks: setup
	$(PY) -m benchmarks $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) build .hwgen-cache
