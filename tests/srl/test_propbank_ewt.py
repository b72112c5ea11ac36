"""The propbank-ewt converter: skeletons joined with UD files, spans turned
into UP head labels, what is skipped and what is an error; agreement with
Universal PropBank on fixture files, and on the real dev file where present."""

from pathlib import Path
from typing import Dict, Iterable, Set, Tuple

import pytest
import spacy
from click.testing import CliRunner
from spacy.tokens import DocBin

from spacy_bert_components.cli.main import cli
from spacy_bert_components.errors import ConversionError
from spacy_bert_components.srl.convert import Sentence, read_up_conllu
from spacy_bert_components.srl.propbank_ewt import JoinStats, bracket_spans, convert_propbank_ewt, read_split

from .fixtures import (
    DEV_DOCS,
    TRAIN_DOCS,
    UNANNOTATED_DEV_DOCS,
    UP_FILE,
    n_sentences,
    write_propbank_ewt,
    write_up_english,
)

DOC = "google/ewt/weblog/00/a.xml"
# "The big dog that barked chased the cat ." barked: ARG0 = "The big dog"
# (head dog), R-ARG0 "that"; chased: ARG0 = "The big dog that barked" (head
# dog: the relative clause hangs under it), ARG1 "the cat".
SKELETON_1 = [
    ("DT", "-", "-", "(ARG0*", "(ARG0*"),
    ("JJ", "-", "-", "*", "*"),
    ("NN", "-", "-", "*)", "*"),
    ("WDT", "-", "-", "(R-ARG0*)", "*"),
    ("VBD", "bark", "bark.01", "(V*)", "*)"),
    ("VBD", "chase", "chase.01", "*", "(V*)"),
    ("DT", "-", "-", "*", "(ARG1*"),
    ("NN", "-", "-", "*", "*)"),
    (".", "-", "-", "*", "*"),
]
UD_1 = """# sent_id = weblog-a-0001
# text = The big dog that barked chased the cat.
1\tThe\tthe\tDET\tDT\t_\t3\tdet\t_\t_
2\tbig\tbig\tADJ\tJJ\t_\t3\tamod\t_\t_
3\tdog\tdog\tNOUN\tNN\t_\t6\tnsubj\t_\t_
4\tthat\tthat\tPRON\tWDT\t_\t5\tnsubj\t_\t_
5\tbarked\tbark\tVERB\tVBD\t_\t3\tacl:relcl\t_\t_
6\tchased\tchase\tVERB\tVBD\t_\t0\troot\t_\t_
7\tthe\tthe\tDET\tDT\t_\t8\tdet\t_\t_
8\tcat\tcat\tNOUN\tNN\t_\t6\tobj\t_\tSpaceAfter=No
9\t.\t.\tPUNCT\t.\t_\t6\tpunct\t_\t_
"""
# A sentence with no predicate, then one whose UD tokens differ (skipped).
SKELETON_2 = [("UH", "-", "-"), (".", "-", "-")]
UD_2 = "# sent_id = weblog-a-0002\n1\tHello\thello\tINTJ\tUH\t_\t0\troot\t_\tSpaceAfter=No\n2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_\n"
SKELETON_3 = [("NNS", "-", "-"), ("VBP", "-", "-")]
UD_3 = "# sent_id = weblog-a-0003\n1\tCats\tcat\tNOUN\tNNS\t_\t0\troot\t_\t_\n"


def skeleton_text(*sentences) -> str:
    """Skeleton lines from rows of (POS, predicate lemma, roleset, argument columns...)."""
    blocks = []
    for n, rows in enumerate(sentences):
        blocks.append(
            "\n".join(f"{DOC} {n} {t} [WORD] {pos} * {' '.join(rest)}" for t, (pos, *rest) in enumerate(rows))
        )
    return "\n\n".join(blocks) + "\n\n"


def make_folder(root: Path, skeleton: str, ud: str, *, dev_docs: Iterable[str] = ()) -> Path:
    (root / "skel" / "weblog").mkdir(parents=True)
    (root / "ud" / "weblog").mkdir(parents=True)
    (root / "skel" / "weblog" / "a.xml.gold_skel").write_text(skeleton, encoding="utf8")
    (root / "ud" / "weblog" / "a.xml.conllu").write_text(ud, encoding="utf8")
    (root / "train.txt").write_text("weblog/00/a.xml\n", encoding="utf8")
    (root / "dev.txt").write_text("".join(f"{d}\n" for d in dev_docs) + "weblog/00/a.xml\n", encoding="utf8")
    return root


@pytest.fixture
def folder(tmp_path) -> Path:
    skeleton = skeleton_text(SKELETON_1, SKELETON_2, SKELETON_3)
    return make_folder(
        tmp_path / "propbank_ewt", skeleton, "\n".join([UD_1, UD_2, UD_3]), dev_docs=["reviews/00/unannotated.xml"]
    )


def test_bracket_spans_nested_and_flat():
    column = ["(ARG0*", "*)", "(V*)", "(ARG1(ARG2*", "*)", "*)", "*"]
    assert sorted(bracket_spans(column, Path("x"), 1)) == [("ARG0", 0, 2), ("ARG1", 3, 6), ("ARG2", 3, 5), ("V", 2, 3)]
    with pytest.raises(ConversionError, match="never closed"):
        bracket_spans(["(ARG0*", "*"], Path("x"), 1)
    with pytest.raises(ConversionError, match="x:3: bad argument cell"):
        bracket_spans(["*", "*", "ARG0"], Path("x"), 1)


def test_spans_become_up_heads_and_frames(folder, tmp_path):
    stats = JoinStats()
    first, hello = list(read_split(folder, "train.txt", stats))
    # UP columns: the roleset, then one label column per predicate.
    labels = [cols[10:] for _, cols in first.rows]
    assert labels[2] == ["_", "ARG0", "ARG0"]  # dog heads both ARG0 spans
    assert labels[3] == ["_", "R-ARG0", "_"]
    assert labels[4] == ["bark.01", "V", "_"]  # inside chased's ARG0, but headed by dog
    assert labels[5] == ["chase.01", "_", "V"] and labels[7] == ["_", "_", "ARG1"]
    assert labels[6] == ["_", "_", "_"]  # "the": its head (cat) is inside the span
    assert len(hello.rows) == 2 and all(cols[10:] == ["_"] for _, cols in hello.rows)
    assert stats.sentences == 2 and len(stats.skipped) == 1 and stats.skipped[0].endswith(":14")

    counts = convert_propbank_ewt(folder, tmp_path / "out")
    assert counts == {str(tmp_path / "out" / "train.spacy"): 2, str(tmp_path / "out" / "dev.spacy"): 2}
    nlp = spacy.blank("en")
    doc = next(DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(nlp.vocab))
    assert doc.text == "The big dog that barked chased the cat."
    barked, chased = doc._.srl
    assert (barked.roleset, [(r, s.text) for r, s in barked.arguments]) == (
        "bark.01",
        [("ARG0", "The big dog"), ("R-ARG0", "that")],
    )
    # Spans come from the gold tree as for UP data: dog's subtree.
    assert (chased.roleset, [(r, s.text) for r, s in chased.arguments]) == (
        "chase.01",
        [("ARG0", "The big dog that barked"), ("ARG1", "the cat")],
    )


def test_cli_names_what_it_skipped(folder, tmp_path):
    result = CliRunner().invoke(cli, ["convert", "propbank-ewt", str(folder), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "train.spacy: 2 docs" in result.output
    assert "a.xml.gold_skel:14" in result.output  # the sentence whose tokens differ
    assert "1 listed documents have no PropBank annotation" in result.output


def test_reads_the_propbank_release_layout(folder, tmp_path):
    """Skeletons as the git asset lays them out (skel/<genre>/00/<doc>)."""
    (folder / "skel" / "weblog" / "00").mkdir()
    (folder / "skel" / "weblog" / "a.xml.gold_skel").rename(folder / "skel" / "weblog" / "00" / "a.xml.gold_skel")
    counts = convert_propbank_ewt(folder, tmp_path / "out")
    assert counts[str(tmp_path / "out" / "train.spacy")] == 2


def test_misaligned_document_is_an_error_naming_the_file(tmp_path):
    folder = make_folder(tmp_path / "p", skeleton_text(SKELETON_1, SKELETON_2), UD_1)
    with pytest.raises(ConversionError, match=r"a.xml.gold_skel:1: 2 sentences, but .*a.xml.conllu has 1"):
        convert_propbank_ewt(folder, tmp_path / "out")


def test_missing_lists_and_files_are_errors(tmp_path):
    with pytest.raises(ConversionError, match="train.txt:0: document list not found"):
        convert_propbank_ewt(tmp_path, tmp_path / "out")
    folder = make_folder(tmp_path / "p", skeleton_text(SKELETON_1), UD_1)
    (folder / "ud" / "weblog" / "a.xml.conllu").unlink()
    with pytest.raises(ConversionError, match=r"train.txt:1: document weblog/00/a.xml: .*a.xml.conllu not found"):
        convert_propbank_ewt(folder, tmp_path / "out")


def _heads_and_rolesets(sentences: Iterable[Sentence]) -> Tuple[Set[tuple], Set[tuple]]:
    heads, rolesets = set(), set()
    for s in sentences:
        rows = [cols for _, cols in s.rows]
        predicates = [i for i, cols in enumerate(rows) if len(cols) > 10 and cols[10] not in ("_", "")]
        for k, p in enumerate(predicates):
            rolesets.add((s.sent_id, p, rows[p][10]))
            for i, cols in enumerate(rows):
                label = cols[11 + k] if len(cols) > 11 + k else "_"
                if label not in ("_", "", "V"):
                    heads.add((s.sent_id, p, i, label))
    return heads, rolesets


def agreement(ours: Iterable[Sentence], up: Iterable[Sentence]) -> Dict[str, float]:
    """Converted PropBank sentences against the same annotation in UP form:
    argument heads (sentence, predicate, token, label) and rolesets
    (sentence, predicate, roleset), counted both ways."""
    our_heads, our_rolesets = _heads_and_rolesets(ours)
    up_heads, up_rolesets = _heads_and_rolesets(up)
    return {
        "heads found in UP": len(our_heads & up_heads) / len(our_heads),
        "UP heads found": len(our_heads & up_heads) / len(up_heads),
        "rolesets found in UP": len(our_rolesets & up_rolesets) / len(our_rolesets),
        "UP rolesets found": len(our_rolesets & up_rolesets) / len(up_rolesets),
    }


def test_fixture_dev_documents_agree_with_their_up_file(tmp_path):
    """PropBank EWT files and a UP file written from one table of sentences,
    the UP heads by hand: the span-to-head rule finds every head and
    roleset, and the unannotated listed document is skipped."""
    stats = JoinStats()
    ours = list(read_split(write_propbank_ewt(tmp_path / "propbank_ewt"), "dev.txt", stats))
    up = read_up_conllu(write_up_english(tmp_path / "up") / UP_FILE)
    assert agreement(ours, up) == {key: 1.0 for key in agreement(ours, up)}
    assert _heads_and_rolesets(ours) == _heads_and_rolesets(up)
    assert (stats.sentences, stats.skipped, stats.unannotated) == (n_sentences(DEV_DOCS), [], UNANNOTATED_DEV_DOCS)


def test_cli_on_the_shared_layout(tmp_path):
    """`spacy-bert convert propbank-ewt` on a folder in the shared data's
    layout (skel/<genre>/<doc>.xml.gold_skel, ud/<genre>/<doc>.xml.conllu)."""
    folder = write_propbank_ewt(tmp_path / "propbank_ewt")
    result = CliRunner().invoke(cli, ["convert", "propbank-ewt", str(folder), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"train.spacy: {n_sentences(TRAIN_DOCS)} docs" in result.output
    assert f"dev.spacy: {n_sentences(DEV_DOCS)} docs" in result.output
    assert "1 listed documents have no PropBank annotation" in result.output
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(nlp.vocab))
    sentences = [s for doc in TRAIN_DOCS.values() for s in doc]
    assert [len(doc._.srl) for doc in docs] == [len(s.frames) for s in sentences]
    assert [f.roleset for doc in docs for f in doc._.srl] == [f.roleset for s in sentences for f in s.frames]


def test_dev_documents_agree_with_universal_propbank(shared_data):
    """The converted PropBank dev documents against the real UP English dev
    file, where the full data is present: at least 99% both ways."""
    stats = JoinStats()
    ours = list(read_split(shared_data / "srl" / "propbank_ewt", "dev.txt", stats))
    up = read_up_conllu(shared_data / "srl" / "up_english_ewt" / "en_ewt-up-dev.conllu")
    result = agreement(ours, up)
    print({k: round(100 * v, 3) for k, v in result.items()})
    assert len(_heads_and_rolesets(up)[1]) > 4000 and all(v >= 0.99 for v in result.values()), result
