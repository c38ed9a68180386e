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

# clang is optional for users; the tests compile the emitted C with it too. The Cortex-M tests
# cross-compile with arm-none-eabi-gcc and newlib and run under qemu-system-arm. Install whatever
# is missing when we are root on Debian/Ubuntu (--no-install-recommends: ~1 GB instead of 2.6 GB).
toolchain:
	@missing=""; \
	command -v clang >/dev/null 2>&1 || missing="$$missing clang"; \
	command -v arm-none-eabi-gcc >/dev/null 2>&1 || missing="$$missing gcc-arm-none-eabi"; \
	[ -f "$$(arm-none-eabi-gcc -mthumb -mcpu=cortex-m4 -print-file-name=libc_nano.a 2>/dev/null)" ] || missing="$$missing libnewlib-arm-none-eabi"; \
	command -v qemu-system-arm >/dev/null 2>&1 || missing="$$missing qemu-system-arm"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing$$missing (apt)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then \
		echo "missing:$$missing (not root or no apt-get: the tests that need them are skipped)"; \
	fi

demo: $(STAMP)
	$(VENV)/bin/edgec verify examples/cnn/digits_cnn.onnx --data examples/cnn/digits_test.npz --json build/demo/report.json --out build/demo/c

test: $(STAMP) toolchain
	$(PY) -m pytest -q -n auto

bench: $(STAMP) $(BENCH_STAMP) toolchain
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build .pytest_cache
