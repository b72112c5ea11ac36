"""`spacy-bert demo`: annotate the demo corpus and print what was found."""
import json
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc


def read_jsonl_texts(path: Path) -> Iterator[Tuple[str, str]]:
    """Yield (id, text) from a JSON-lines file with `id` and `text` fields."""
    with path.open(encoding="utf8") as fileh:
        for i, line in enumerate(fileh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                yield str(record.get("id", f"{path.name}:{i}")), record["text"]
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{i}: expected an object with a 'text' field ({err})") from None


def describe_doc(doc: Doc) -> List[str]:
    """RETURNS (List[str]): Readable lines for every annotation the doc has."""
    lines = [f"  tokens: {len(doc)}, sentences: {len(list(doc.sents)) if doc.has_annotation('SENT_START') else '-'}"]
    if doc.ents:
        lines.append("  entities: " + ", ".join(f"{e.text} ({e.label_})" for e in doc.ents))
    if doc.cats:
        best = max(doc.cats, key=doc.cats.get)
        lines.append(f"  sentiment: {best} ({doc.cats[best]:.2f}), score {doc.sentiment:+.2f}")
    if Doc.has_extension("srl"):
        for frame in list(doc._.srl)[:2]:
            lines.append(f"  srl: {frame}")
    if Doc.has_extension("summary") and doc._.summary:
        lines.append(f"  summary: {doc._.summary}")
    if len(lines) == 1 and doc._.get("trf_data") is not None:
        width = doc._.trf_data.width
        lines.append(f"  encoder: one pass, {width}-dim token vectors (no task heads in this pipeline)")
    return lines


def run_demo(corpus: Path, model: Optional[str] = None) -> None:
    """Annotate `corpus` (JSON lines) and print a short report per document."""
    from .info import default_pipeline_path
    from .pipeline import encoder_pipeline, load

    nlp: Language
    if model is None and default_pipeline_path() is None:
        print("No default pipeline is shipped yet: running the default encoder alone.")
        nlp = encoder_pipeline()
    else:
        nlp = load(model)
    print(f"Pipeline: {', '.join(nlp.pipe_names)}")
    records = list(read_jsonl_texts(corpus))
    docs = nlp.pipe((text for _, text in records), batch_size=8)
    for (doc_id, _), doc in zip(records, docs):
        print(f"[{doc_id}] {doc.text[:70]}{'...' if len(doc.text) > 70 else ''}")
        for line in describe_doc(doc):
            print(line)
