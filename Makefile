# edgec developer commands. `make demo` and `make test` work on a fresh machine with Python 3.11+
# and gcc: they create .venv (unless a virtualenv is already active) and install what they need.
SHELL := /bin/bash
PYTHON ?= python3
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
PY := $(VENV)/bin/python
STAMP := $(VENV)/.edgec-installed
BENCH_STAMP := $(VENV)/.edgec-bench-installed

.PHONY: all demo test bench install toolchain clean

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# the peer code generators of benchmarks/sklearn_peers.py (pyproject's `bench` extra)
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

# clang is optional for users; the tests compile the emitted C with it too, so install it
# when we are root and it is missing (Debian/Ubuntu).
toolchain:
	@if ! command -v clang >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing clang (apt)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang >/dev/null; \
	fi

demo: $(STAMP)
	$(VENV)/bin/edgec verify examples/cnn/digits_cnn.onnx --data examples/cnn/digits_test.npz --json build/demo/report.json --out build/demo/c

test: $(STAMP) toolchain
	$(PY) -m pytest -q

bench: $(STAMP) $(BENCH_STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build .pytest_cache
