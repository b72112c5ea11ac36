"""The up-conllu converter: spans from heads, document limit, errors."""

from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_bert_components.errors import ConversionError
from spacy_bert_components.srl.convert import convert_up_conllu
from spacy_bert_components.srl.frames import read_frames

from .fixtures import DEV_DOCS, UP_FILE, write_up_english

# "The big dog , which barked , chased the cat ." with two predicates:
# barked (ARG0 = dog's subtree minus the relative clause holding the
# predicate) and chased (ARG0 = dog: its subtree, edge punctuation trimmed).
CONLLU = """# newdoc id = doc-a
# sent_id = doc-a-0001
# text = The big dog, which barked, chased the cat.
1\tThe\tthe\tDET\tDT\t_\t3\tdet\t_\t_\t_\t_\t_
2\tbig\tbig\tADJ\tJJ\t_\t3\tamod\t_\t_\t_\t_\t_
3\tdog\tdog\tNOUN\tNN\t_\t8\tnsubj\t_\tSpaceAfter=No\t_\tARG0\tARG0
4\t,\t,\tPUNCT\t,\t_\t6\tpunct\t_\t_\t_\t_\t_
5\twhich\twhich\tPRON\tWDT\t_\t6\tnsubj\t_\t_\t_\tR-ARG0\t_
6\tbarked\tbark\tVERB\tVBD\t_\t3\tacl:relcl\t_\tSpaceAfter=No\tbark.01\tV\t_
7\t,\t,\tPUNCT\t,\t_\t6\tpunct\t_\t_\t_\t_\t_
8\tchased\tchase\tVERB\tVBD\t_\t0\troot\t_\t_\tchase.01\t_\tV
9\tthe\tthe\tDET\tDT\t_\t10\tdet\t_\t_\t_\t_\t_
10\tcat\tcat\tNOUN\tNN\t_\t8\tobj\t_\tSpaceAfter=No\t_\t_\tARG1
11\t.\t.\tPUNCT\t.\t_\t8\tpunct\t_\t_\t_\t_\t_

# sent_id = doc-a-0002
# text = Hello!
1\tHello\thello\tINTJ\tUH\t_\t0\troot\t_\tSpaceAfter=No\t_\t
2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_\t_\t

# newdoc id = doc-b
# sent_id = doc-b-0001
# text = Cats sleep.
1\tCats\tcat\tNOUN\tNNS\t_\t2\tnsubj\t_\t_\t_\tARG0
2\tsleep\tsleep\tVERB\tVBP\t_\t0\troot\t_\tSpaceAfter=No\tsleep.01\tV
3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\t_\t_

# newdoc id = doc-c
# sent_id = doc-c-0001
# text = Dogs bark.
1\tDogs\tdog\tNOUN\tNNS\t_\t2\tnsubj\t_\t_\t_\tARG0
2\tbark\tbark\tVERB\tVBP\t_\t0\troot\t_\tSpaceAfter=No\tbark.01\tV
3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\t_\t_
"""


@pytest.fixture
def conllu(tmp_path) -> Path:
    path = tmp_path / "up.conllu"
    path.write_text(CONLLU, encoding="utf8")
    return path


def _docs(path: Path):
    nlp = spacy.blank("en")
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def test_spans_from_heads(conllu, tmp_path):
    counts = convert_up_conllu(conllu, tmp_path / "out" / "dev.spacy")
    assert counts == {str(tmp_path / "out" / "dev.spacy"): 4}
    docs = _docs(tmp_path / "out" / "dev.spacy")
    doc = next(d for d in docs if d.text.startswith("The big dog"))
    assert doc.text == "The big dog, which barked, chased the cat."
    barked, chased = doc._.srl
    assert (barked.predicate.text, barked.roleset) == ("barked", "bark.01")
    # dog's subtree holds the predicate: cut off, and "which" (R-ARG0) too
    assert [(r, s.text, h.text) for (r, s), (_, h) in zip(barked.arguments, barked.heads)] == [
        ("ARG0", "The big dog", "dog"),
        ("R-ARG0", "which", "which"),
    ]
    # chased: ARG0 is dog's whole subtree, edge punctuation trimmed
    assert [(r, s.text) for r, s in chased.arguments] == [("ARG0", "The big dog, which barked"), ("ARG1", "the cat")]
    hello = next(d for d in docs if d.text.startswith("Hello"))
    assert hello._.srl == [] and read_frames(hello) == []
    assert "srl" in hello.spans  # annotated: "no predicate here" is gold too
    assert doc[2].lemma_ == "dog" and doc[2].dep_ == "nsubj"


def test_limit_keeps_whole_documents(conllu, tmp_path):
    counts = convert_up_conllu(conllu, tmp_path / "o.spacy", limit=2)
    assert counts == {str(tmp_path / "o.spacy"): 3}  # documents a (2 sentences) and b
    assert [d.text for d in _docs(tmp_path / "o.spacy")][-1] == "Cats sleep."


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("# sent_id = x-1\n1\tOnly\tthree\n", encoding="utf8")
    with pytest.raises(ConversionError) as err:
        convert_up_conllu(path, tmp_path / "out.spacy")
    assert "bad.conllu" in str(err.value) and "2" in str(err.value)


def test_up_file_in_the_shared_layout(tmp_path):
    """A UP dev file written from the fixture table: one doc per sentence,
    each argument's head as written by hand and its span from the gold tree,
    the same span PropBank's brackets give."""
    path = write_up_english(tmp_path / "up") / UP_FILE
    counts = convert_up_conllu(path, tmp_path / "dev.spacy", limit=5)
    sentences = [s for doc in DEV_DOCS.values() for s in doc]
    assert list(counts.values()) == [len(sentences)]
    docs = _docs(tmp_path / "dev.spacy")
    for doc, sentence in zip(docs, sentences):
        assert [t.text for t in doc] == [t.word for t in sentence.tokens]
        found = [
            (f.predicate.start, f.roleset, [(r, s.start, s.end, h.i) for (r, s), (_, h) in zip(f.arguments, f.heads)])
            for f in doc._.srl
        ]
        expected = [(f.predicate, f.roleset, sorted(f.arguments, key=lambda a: a[1])) for f in sentence.frames]
        assert [(p, r, sorted(a, key=lambda x: x[1])) for p, r, a in found] == expected


def test_real_file_slice(shared_data, tmp_path):
    """The first documents of the real UP English dev file, where the full
    data is present: arguments never overlap nor hold their predicate."""
    path = shared_data / "srl" / "up_english_ewt" / "en_ewt-up-dev.conllu"
    counts = convert_up_conllu(path, tmp_path / "dev.spacy", limit=5)
    assert all(n > 0 for n in counts.values())
    for doc in _docs(tmp_path / "dev.spacy"):
        for frame in doc._.srl:
            spans = sorted((s.start, s.end) for _, s in frame.arguments)
            assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:]))
            assert not any(s.start <= frame.predicate.start < s.end for _, s in frame.arguments)
