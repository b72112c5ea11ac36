"""How many gold arguments a pipeline's own tokenizer and sentence splitter
leave within reach: `spacy evaluate` compares spans by character offsets,
so an argument whose edge falls inside a predicted token, or that lies, even
in part, outside its predicate's predicted sentence (the SRL heads label
within a sentence), cannot be predicted right by any head.

    python scripts/reachable_arguments.py MODEL corpus/dev.spacy
"""

import argparse
import json
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from spacy_bert_components.srl.frames import DEFAULT_SPANS_KEY, read_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("data", type=Path, help="DocBin with SRL gold")
    parser.add_argument("--spans-key", default=DEFAULT_SPANS_KEY)
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    splitters = [name for name in ("senter", "sentencizer", "parser") if name in nlp.pipe_names][:1]
    if not splitters:
        raise SystemExit(f"{args.model}: no senter, sentencizer or parser sets sentences in this pipeline")
    gold_docs = list(DocBin().from_disk(args.data).get_docs(nlp.vocab))
    counts = {
        "sentences": len(gold_docs),
        "split_sentences": 0,
        "arguments": 0,
        "crossing_a_sentence_boundary": 0,
        "edge_inside_a_token": 0,
        "unreachable": 0,
    }
    texts = [doc.text for doc in gold_docs]
    for gold, predicted in zip(gold_docs, nlp.pipe(texts, disable=[n for n in nlp.pipe_names if n not in splitters])):
        sentence_of = {}
        for i, sent in enumerate(predicted.sents):
            sentence_of.update((char, i) for char in range(sent.start_char, sent.end_char))
        counts["split_sentences"] += int(len(sentence_of) and max(sentence_of.values()) > 0)
        starts = {token.idx for token in predicted}
        ends = {token.idx + len(token) for token in predicted}
        for frame in read_frames(gold, args.spans_key):
            predicate_sentence = sentence_of.get(gold[frame.predicate[0]].idx)
            for _, start, end, _ in frame.arguments:
                span = gold[start:end]
                crossing = {sentence_of.get(span.start_char), sentence_of.get(span.end_char - 1)} != {
                    predicate_sentence
                }
                inside = span.start_char not in starts or span.end_char not in ends
                counts["arguments"] += 1
                counts["crossing_a_sentence_boundary"] += int(crossing)
                counts["edge_inside_a_token"] += int(inside)
                counts["unreachable"] += int(crossing or inside)
    for key in ("crossing_a_sentence_boundary", "edge_inside_a_token", "unreachable"):
        counts[f"{key}_pct"] = round(100 * counts[key] / max(counts["arguments"], 1), 2)
    print(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main()
