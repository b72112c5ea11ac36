"""Small SRL data sets in the shared data's formats, written by the tests from
one table of sentences (never copied from the real data):

* `write_propbank_ewt`: PropBank's EWT layout, `skel/<genre>/<doc>.xml.gold_skel`
  (bracketed argument spans, `[WORD]` for the words), `ud/<genre>/<doc>.xml.conllu`
  (the same sentences with words and gold trees), `train.txt` / `dev.txt`
  (the documents of each split; one listed dev document has no annotation,
  as in PropBank's own lists) and `dev.no_annotation.txt`.
* `write_up_english`: the dev documents in Universal PropBank's CoNLL-U
  (`en_ewt-up-dev.conllu`): a roleset column, then one column per predicate
  with the label on the argument's head word.

Each argument is given as its PropBank span and, separately, its UP head, so
the converter's span-to-head rule is checked against labels written by hand.
"""

from pathlib import Path
from typing import Dict, List, NamedTuple, Sequence, Tuple

UP_FILE = "en_ewt-up-dev.conllu"


class Token(NamedTuple):
    word: str
    lemma: str
    upos: str
    xpos: str
    head: int  # 1-based, 0: the root (CoNLL-U)
    deprel: str


class Frame(NamedTuple):
    predicate: int  # 0-based
    roleset: str
    # (label, start, end, head): the PropBank span (end exclusive) and the
    # UP head, 0-based.
    arguments: Sequence[Tuple[str, int, int, int]]


class Sentence(NamedTuple):
    tokens: Sequence[Token]
    frames: Sequence[Frame]


def _tokens(table: str) -> List[Token]:
    rows = [line.split() for line in table.strip().splitlines()]
    return [Token(w, lemma, upos, xpos, int(head), rel) for w, lemma, upos, xpos, head, rel in rows]


EAT = Sentence(
    _tokens("""
    John John PROPN NNP 2 nsubj
    ate eat VERB VBD 0 root
    the the DET DT 4 det
    apple apple NOUN NN 2 obj
    and and CCONJ CC 7 cc
    Mary Mary PROPN NNP 7 nsubj
    drank drink VERB VBD 2 conj
    tea tea NOUN NN 7 obj
    . . PUNCT . 2 punct
    """),
    [
        Frame(1, "eat.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 4, 3)]),
        Frame(6, "drink.01", [("ARG0", 5, 6, 5), ("ARG1", 7, 8, 7)]),
    ],
)
SEE = Sentence(
    _tokens("""
    The the DET DT 2 det
    cat cat NOUN NN 3 nsubj
    saw see VERB VBD 0 root
    a a DET DT 5 det
    dog dog NOUN NN 3 obj
    that that PRON WDT 7 nsubj
    barked bark VERB VBD 5 acl:relcl
    loudly loudly ADV RB 7 advmod
    . . PUNCT . 3 punct
    """),
    [
        # The relative clause hangs under "dog": ARG1 of saw is headed by dog.
        Frame(2, "see.01", [("ARG0", 0, 2, 1), ("ARG1", 3, 8, 4)]),
        Frame(6, "bark.01", [("ARG0", 3, 5, 4), ("R-ARG0", 5, 6, 5), ("ARGM-MNR", 7, 8, 7)]),
    ],
)
HELLO = Sentence(
    _tokens("""
    Hello hello INTJ UH 0 root
    ! ! PUNCT . 1 punct
    """),
    [],
)
FALL = Sentence(
    _tokens("""
    Stocks stock NOUN NNS 2 nsubj
    fell fall VERB VBD 0 root
    sharply sharply ADV RB 2 advmod
    today today NOUN NN 2 obl:tmod
    . . PUNCT . 2 punct
    """),
    [Frame(1, "fall.01", [("ARG1", 0, 1, 0), ("ARGM-MNR", 2, 3, 2), ("ARGM-TMP", 3, 4, 3)])],
)
GIVE = Sentence(
    _tokens("""
    Mary Mary PROPN NNP 2 nsubj
    gave give VERB VBD 0 root
    John John PROPN NNP 2 iobj
    a a DET DT 5 det
    book book NOUN NN 2 obj
    yesterday yesterday NOUN NN 2 obl:tmod
    . . PUNCT . 2 punct
    """),
    [Frame(1, "give.01", [("ARG0", 0, 1, 0), ("ARG2", 2, 3, 2), ("ARG1", 3, 5, 4), ("ARGM-TMP", 5, 6, 5)])],
)
APPROVE = Sentence(
    _tokens("""
    The the DET DT 2 det
    committee committee NOUN NN 3 nsubj
    approved approve VERB VBD 0 root
    the the DET DT 5 det
    plan plan NOUN NN 3 obj
    after after ADP IN 9 case
    a a DET DT 9 det
    long long ADJ JJ 9 amod
    debate debate NOUN NN 3 obl
    . . PUNCT . 3 punct
    """),
    [Frame(2, "approve.01", [("ARG0", 0, 2, 1), ("ARG1", 3, 5, 4), ("ARGM-TMP", 5, 9, 8)])],
)
SAY = Sentence(
    _tokens("""
    She she PRON PRP 2 nsubj
    said say VERB VBD 0 root
    the the DET DT 4 det
    team team NOUN NN 5 nsubj
    won win VERB VBD 2 ccomp
    . . PUNCT . 2 punct
    """),
    [
        Frame(1, "say.01", [("ARG0", 0, 1, 0), ("ARG1", 2, 5, 4)]),
        Frame(4, "win.01", [("ARG0", 2, 4, 3)]),
    ],
)
BARK = Sentence(
    _tokens("""
    Dogs dog NOUN NNS 2 nsubj
    bark bark VERB VBP 0 root
    loudly loudly ADV RB 2 advmod
    at at ADP IN 5 case
    night night NOUN NN 2 obl
    . . PUNCT . 2 punct
    """),
    [Frame(1, "bark.01", [("ARG0", 0, 1, 0), ("ARGM-MNR", 2, 3, 2), ("ARGM-TMP", 3, 5, 4)])],
)

TRAIN_DOCS: Dict[str, List[Sentence]] = {
    "weblog/00/fixture-a.xml": [EAT, SEE, HELLO],
    "email/00/fixture-b.xml": [FALL, GIVE],
}
DEV_DOCS: Dict[str, List[Sentence]] = {"reviews/00/fixture-c.xml": [APPROVE, SAY, BARK]}
# Listed in dev.txt without a skeleton, as PropBank leaves some documents.
UNANNOTATED_DEV_DOCS = ["reviews/00/fixture-d.xml"]


def _text(sentence: Sentence) -> str:
    out = []
    for i, token in enumerate(sentence.tokens):
        out.append(token.word)
        following = sentence.tokens[i + 1] if i + 1 < len(sentence.tokens) else None
        if following is not None and following.upos != "PUNCT":
            out.append(" ")
    return "".join(out)


def _ud_columns(sentence: Sentence, i: int) -> List[str]:
    t = sentence.tokens[i]
    no_space = i + 1 == len(sentence.tokens) or sentence.tokens[i + 1].upos == "PUNCT"
    return [
        str(i + 1),
        t.word,
        t.lemma,
        t.upos,
        t.xpos,
        "_",
        str(t.head),
        t.deprel,
        "_",
        "SpaceAfter=No" if no_space else "_",
    ]


def _doc_id(document: str) -> str:
    genre, name = document.split("/")[0], document.split("/")[-1]
    return f"{genre}-{name[: -len('.xml')]}"


def _conllu(document: str, sentences: Sequence[Sentence], *, up: bool) -> str:
    doc_id = _doc_id(document)
    blocks = []
    for n, sentence in enumerate(sentences, start=1):
        lines = [f"# newdoc id = {doc_id}"] if n == 1 else []
        lines += [f"# sent_id = {doc_id}-{n:04d}", f"# text = {_text(sentence)}"]
        predicates = {f.predicate: f.roleset for f in sentence.frames}
        for i in range(len(sentence.tokens)):
            cols = _ud_columns(sentence, i)
            if up:
                cols.append(predicates.get(i, "_"))
                for frame in sentence.frames:
                    heads = {head: label for label, _, _, head in frame.arguments}
                    cols.append("V" if i == frame.predicate else heads.get(i, "_"))
            lines.append("\t".join(cols))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n"


def _bracket_column(frame: Frame, n_tokens: int) -> List[str]:
    spans = [(label, start, end) for label, start, end, _ in frame.arguments] + [
        ("V", frame.predicate, frame.predicate + 1)
    ]
    cells = []
    for i in range(n_tokens):
        opening = "".join(f"({label}" for label, start, _ in spans if start == i)
        closing = ")" * sum(1 for _, _, end in spans if end == i + 1)
        cells.append(f"{opening}*{closing}")
    return cells


def _skeleton(document: str, sentences: Sequence[Sentence]) -> str:
    blocks = []
    for n, sentence in enumerate(sentences):
        columns = [_bracket_column(f, len(sentence.tokens)) for f in sentence.frames]
        predicates = {f.predicate: f.roleset for f in sentence.frames}
        rows = []
        for i, token in enumerate(sentence.tokens):
            roleset = predicates.get(i)
            lemma = roleset.split(".")[0] if roleset else "-"
            cells = [f"google/ewt/{document}", str(n), str(i), "[WORD]", token.xpos, "*", lemma, roleset or "-"]
            rows.append("  ".join(cells + [column[i] for column in columns]))
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks) + "\n\n"


def write_propbank_ewt(folder: Path) -> Path:
    """Write the PropBank EWT layout (skel/, ud/, train.txt, dev.txt,
    dev.no_annotation.txt) into `folder` (created).

    RETURNS (Path): The folder.
    """
    for document, sentences in {**TRAIN_DOCS, **DEV_DOCS}.items():
        genre, name = document.split("/")[0], document.split("/")[-1]
        (folder / "skel" / genre).mkdir(parents=True, exist_ok=True)
        (folder / "ud" / genre).mkdir(parents=True, exist_ok=True)
        (folder / "skel" / genre / f"{name}.gold_skel").write_text(_skeleton(document, sentences), encoding="utf8")
        (folder / "ud" / genre / f"{name}.conllu").write_text(_conllu(document, sentences, up=False), encoding="utf8")
    (folder / "train.txt").write_text("".join(f"{d}\n" for d in TRAIN_DOCS), encoding="utf8")
    dev_list = [*DEV_DOCS, *UNANNOTATED_DEV_DOCS]
    (folder / "dev.txt").write_text("".join(f"{d}\n" for d in dev_list), encoding="utf8")
    (folder / "dev.no_annotation.txt").write_text("".join(f"{d}\n" for d in UNANNOTATED_DEV_DOCS), encoding="utf8")
    return folder


def write_up_english(folder: Path) -> Path:
    """Write the dev documents as Universal PropBank CoNLL-U
    (`folder/en_ewt-up-dev.conllu`, folder created).

    RETURNS (Path): The folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(_conllu(document, sentences, up=True) for document, sentences in DEV_DOCS.items())
    (folder / UP_FILE).write_text(text, encoding="utf8")
    return folder


def n_sentences(documents: Dict[str, List[Sentence]]) -> int:
    return sum(len(sentences) for sentences in documents.values())
