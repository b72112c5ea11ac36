"""`python -m spacy_bert_components`: the `spacy-bert` command, run by the
Python that imports this package (what project commands use, so that they
work without an activated virtual environment)."""

from .cli.main import main

main()
