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

.PHONY: setup lock reproduce test unit nbval lab notebook list clean

setup: $(STAMP)

LOCK := requirements-lock.txt

# Exact versions of every package come from the committed lock (pip reads it as constraints), so a
# fresh machine resolves what the committed notebooks used; `make lock` refreshes it.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)" -c $(LOCK)
	$(BIN)/python -m pip install -q -e ".[dev]" -c $(LOCK)
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

test: unit nbval  ## unit tests, then every committed notebook re-executed and checked by nbval

unit: setup
	$(BIN)/python -m pytest tests -q

nbval: setup
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks -q

lab: setup  ## JupyterLab on the project kernel
	$(BIN)/python -m pip install -q -e ".[lab]"
	$(BIN)/jupyter lab notebooks

notebook: setup  ## re-create and execute notebooks/NN_*.ipynb from its .py source: make notebook NB=02
	@test -n "$(NB)" || (echo "usage: make notebook NB=02" && exit 2)
	$(BIN)/reprolab build $(NB)

list: setup
	$(BIN)/reprolab list

clean:
	rm -rf runs .pytest_cache
