"""The table of data converters, by the FORMAT name the CLI takes.

Converters live beside their task; this table names them as import paths so
that `spacy-bert --help` does not import spaCy or torch. Each converter is a
function `(input_path: Path, output_path: Path, **options) -> Dict[str, int]`
returning the docs written per output file; it takes any of the options
`seed`, `dev_fraction`, `limit` that it declares.
"""

import importlib
import inspect
from pathlib import Path
from typing import Any, Callable, Dict

CONVERTERS: Dict[str, str] = {
    # NER
    "conll03": "spacy_bert_components.ner.convert:conll03_to_docbin",
    # sentiment
    "sst2": "spacy_bert_components.sentiment.convert:sst2_to_docbin",
    # SRL
    "up-conllu": "spacy_bert_components.srl.convert:convert_up_conllu",
    "propbank-ewt": "spacy_bert_components.srl.propbank_ewt:convert_propbank_ewt",
    # summarization
    "scitldr": "spacy_bert_components.summarization.convert:convert_scitldr",
    "bbc": "spacy_bert_components.summarization.convert:convert_bbc",
}


def get_converter(name: str) -> Callable[..., Dict[str, int]]:
    module_name, func_name = CONVERTERS[name].split(":")
    return getattr(importlib.import_module(module_name), func_name)


def run_converter(name: str, input_path: Path, output_path: Path, options: Dict[str, Any]) -> Dict[str, int]:
    """Run a converter with the options it declares and that were given."""
    func = get_converter(name)
    accepted = inspect.signature(func).parameters
    kwargs = {k: v for k, v in options.items() if v is not None and k in accepted}
    return func(input_path, output_path, **kwargs)
