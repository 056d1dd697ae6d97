PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: test demo typecheck pytest bench surface clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) typecheck pytest

typecheck: $(STAMP)
	$(BIN)/python tools/generate_surface.py --check
	$(BIN)/mypy
	$(BIN)/pyright
	$(BIN)/pyrefly check --summary=none
	@echo "ty (beta, reported only):" && $(BIN)/ty check --python $(VENV) --output-format concise typedstream tests examples 2>&1 | tail -1 || true

pytest: $(STAMP)
	$(BIN)/pytest

# The demo needs only the library and its progress extra, not the development tools (make test adds those).
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[progress]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python examples/demo.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The operators' methods and free functions, written from tools/surface.py.
surface: $(STAMP)
	$(BIN)/python tools/generate_surface.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .hypothesis
