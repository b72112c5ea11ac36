"""`python -m spacy_bert_components`: the `spacy-bert` command, run by the
Python that imports this package (what project commands use, so that they
work without an activated virtual environment)."""

from .cli.main import main

# Guarded: the local pool's spawned processes import the parent's main module.
if __name__ == "__main__":
    main()
