# Single entry point for the common commands. Everything runs from the project virtualenv (.venv),
# created on first use from the pinned requirement files.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
# Passed to recipes through the environment ("$$STACK"), never pasted into a shell command line.
export STACK
CHECKOV_VENV := .venv-checkov

.PHONY: venv plan plans verify lint typecheck actionlint pytest test checkov-venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# checkov pins libraries that clash with ours: it lives in its own virtualenv.
checkov-venv: $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

## plan: the offline plan (credential-free preview) of STACK (default dev) into build/$(STACK)/
plan: venv
	$(BIN)/python -m tools.plan -- "$$STACK"

## plans: the offline plan of every committed stack. A file name that is no valid Pulumi stack name
## (1-100 of [A-Za-z0-9_.-], not "." or "..") stops the run before anything is planned or written.
plans: venv
	@set -e; \
	for f in Pulumi.*.yaml; do \
	  [ -e "$$f" ] || continue; \
	  s=$${f#Pulumi.}; s=$${s%.yaml}; \
	  case "$$s" in \
	    ""|.|..|*[!A-Za-z0-9_.-]*) echo "error: $$f: not a valid stack name (letters, digits, '-', '_', '.'; not '.' or '..')" >&2; exit 2;; \
	  esac; \
	  if [ $${#s} -gt 100 ]; then echo "error: $$f: a stack name cannot exceed 100 characters" >&2; exit 2; fi; \
	done; \
	for f in Pulumi.*.yaml; do \
	  [ -e "$$f" ] || continue; \
	  s=$${f#Pulumi.}; s=$${s%.yaml}; \
	  $(BIN)/python -m tools.plan -- "$$s"; \
	done

## verify: is the deployed STACK working? Governance chain, a probe event, signal liveness
## (docs/operations.md#verify). Options go in VERIFY_ARGS, e.g. VERIFY_ARGS="--json --outputs out.json".
## make turns every failure into exit 2: CI calls `python -m tools.verify` for the real exit code.
verify: venv
	$(BIN)/python -m tools.verify $(VERIFY_ARGS) -- "$$STACK"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy components tools policies __main__.py

pytest: venv checkov-venv
	$(BIN)/pytest -n 2

## test: the full suite — lint, strict type checks, unit/provider/stack tests (incl. actionlint, checkov)
test: lint typecheck pytest

clean:
	rm -rf build .pytest_cache .ruff_cache
