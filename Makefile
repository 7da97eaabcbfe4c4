# Two entry points (see README): `make demo` and `make test`. Release artefacts: `make dist`
# (wheel and sdist), `make single-file` (one executable, PyInstaller), `make image` (the container
# image without a registry, as an OCI archive).
VENV    ?= .venv
PY      := $(VENV)/bin/python
EXAMPLE ?= examples/seed000-calico-pid-exhaustion
# Debian packages the tests start for real (Prometheus, node-exporter, etcd, Go, a JDK for Java
# thread dumps, ripgrep, sysstat, Chromium for the HTML report), and what builds and runs the
# container image (debootstrap, buildah, podman with runc).
PEERS   := prometheus prometheus-node-exporter etcd-server etcd-client golang-go openjdk-17-jdk-headless \
           ripgrep gcc procps util-linux sysstat chromium debootstrap buildah podman runc

.PHONY: demo test peers lint bench dist single-file image

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/kubewhy diagnose $(EXAMPLE); test $$? -le 1

peers:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  for c in prometheus promtool prometheus-node-exporter etcd go jstack rg gcc chromium sar; do \
	    command -v $$c >/dev/null || need=1; done; \
	  if [ -n "$$need" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(PEERS) >/dev/null; fi; \
	else echo "peers: not root or no apt-get; install: $(PEERS)"; fi

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench packaging
	$(VENV)/bin/ruff format --check src tests bench packaging
	$(VENV)/bin/mypy

test: $(VENV)/.installed peers lint
	$(VENV)/bin/pytest

bench: $(VENV)/.installed peers
	$(PY) bench/run_all.py

dist: $(VENV)/.installed
	rm -rf dist && $(PY) -m build --outdir dist .

single-file: dist
	$(PY) packaging/single_file.py dist/kubewhy-*.whl --out dist

image: dist
	$(PY) packaging/image.py dist/kubewhy-*.whl --work build/image --out dist --run
