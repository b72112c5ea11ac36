"""Toy summarization data for the tests: short docs whose oracle sentences
are the ones that mention a key word."""

from typing import List

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from spacy_bert_components.summarization.gold import set_gold
from tests.util import blank_with_encoder, listener_config

KEY = "profits"
FILLER = [
    "The weather was mild in the north",
    "Fans waited outside the old hall",
    "A new film opened on Friday night",
    "The river rose after days of rain",
    "Shops stayed open late for the holiday",
    "Teachers met to plan the term",
]
KEY_SENTS = [
    "Company profits rose sharply this year",
    "Analysts said profits would grow again",
    "Profits at the bank fell by half",
]


def toy_sentences(i: int) -> List[str]:
    """Five sentences, two of them (at varying places) about profits."""
    fill = FILLER[i % len(FILLER) :] + FILLER[: i % len(FILLER)]
    sents = fill[:3]
    sents.insert(i % 4, KEY_SENTS[i % 3])
    sents.insert((i + 2) % 5, KEY_SENTS[(i + 1) % 3])
    return [s + "." for s in sents]


def toy_gold(nlp: Language, i: int) -> Doc:
    sents = toy_sentences(i)
    doc = nlp.make_doc(" ".join(sents))
    starts = set()
    offset = 0
    for s in sents:
        starts.add(offset)
        offset += len(s) + 1
    for token in doc:
        token.is_sent_start = token.idx in starts
    oracle = [j for j, s in enumerate(sents) if KEY in s.lower()]
    set_gold(doc, oracle, ["\n".join(sents[j] for j in oracle)])
    return doc


def toy_examples(nlp: Language, n: int = 6) -> List[Example]:
    return [Example(nlp.make_doc(toy_gold(nlp, i).text), toy_gold(nlp, i)) for i in range(n)]


def summarizer_nlp(tiny_bert: str, *, mix_layers: bool = True, **cfg) -> Language:
    """sentencizer + shared tiny transformer + a small summarizer."""
    nlp = blank_with_encoder(tiny_bert, hidden_states=mix_layers)
    config = {
        "model": {
            "@architectures": "spacy-bert-components.SummarizerModel.v1",
            "hidden_width": 32,
            "n_heads": 2,
            "n_layers": 1,
            "dropout": 0.0,
            "tok2vec": listener_config(mix_layers=mix_layers),
        },
        "n_sentences": 2,
        **cfg,
    }
    nlp.add_pipe("bert_summarizer", name="summarizer", config=config)
    return nlp
