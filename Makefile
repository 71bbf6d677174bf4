# Watchlist Tracker: one-machine developer and CI entry points.
#   make run    set up on first use, then run the whole system in the foreground
#   make test   set up, then run the whole test suite (pytest's exit status is kept)
PYTHON ?= .venv/bin/python
PORT_BASE ?= 8000
PYTEST_ARGS ?=

.PHONY: setup run test test-containers test-swarm fuzz lint format lock bench clean traefik-config

setup:
	python3 devstack/bootstrap.py

run: setup
	$(PYTHON) -m devstack run --port-base $(PORT_BASE)

# The status file lets .ci/run tell "no tests collected" (5) from a failure.
test: setup
	@mkdir -p var
	@rm -f var/pytest.status
	$(PYTHON) -m pytest $(PYTEST_ARGS); status=$$?; echo $$status > var/pytest.status; exit $$status

# The container suites (tests/containers/__main__.py): install the engine and the compose
# plugin when missing, start dockerd when none runs, build the images (stand-ins where no
# registry answers), then compose.yaml or the Swarm stack under the e2e suite and faults.
# Never part of `make test`; they fail, never skip, when no engine can be had.
test-containers: setup
	$(PYTHON) -m tests.containers compose

test-swarm: setup
	$(PYTHON) -m tests.containers swarm

# A longer schemathesis run than `make test`'s (WLT_FUZZ_EXAMPLES per operation and mode).
fuzz: setup
	WLT_FUZZ_EXAMPLES=$${WLT_FUZZ_EXAMPLES:-200} $(PYTHON) -m pytest tests/fuzz -q $(PYTEST_ARGS)

# mypy: strict on servicekit/, checked on the services (pyproject.toml [tool.mypy]).
lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

format:
	$(PYTHON) -m ruff check --fix .
	$(PYTHON) -m ruff format .

# The locks, with a hash of every file: requirements.txt (the services and their image) from
# requirements.in, requirements-dev.txt (also the launcher, tests and tools) from
# requirements-dev.in at the same versions. Edit the .in files, then run this.
UV_COMPILE = $(PYTHON) -m uv pip compile -q --native-tls --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"
lock: setup
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -c requirements.txt -o requirements-dev.txt

# bench/RESULTS.md (every benchmark on one stack), then the scale benchmark at 1% and 10%
# (BENCH_SCALE=1: also 100%) into bench/scale.md and bench/scale.png.
bench: setup
	@test -f bench/__main__.py || { echo "bench/__main__.py does not exist: no benchmarks to run" >&2; exit 1; }
	$(PYTHON) -m bench
	BENCH_SCALE=$${BENCH_SCALE:-0.1} $(PYTHON) -m bench.scale

traefik-config:
	$(PYTHON) -m devstack traefik-config

clean:
	rm -rf var/run var/log
