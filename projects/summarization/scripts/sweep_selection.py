"""Score other summary selections of a trained summarizer on the dev data
without re-encoding: the pipeline runs once, then each setting re-selects
from the stored sentence scores (`doc.spans["summary_sentences"]`).

    python scripts/sweep_selection.py training/bbc_frozen/model-best corpus/bbc/dev.spacy \
        --setting ratio=0.3 --setting ratio=0.4,block_trigrams=true --output metrics/bbc_frozen_sweep.json
"""

import json
from pathlib import Path
from typing import Dict, List

import click


def _parse(setting: str) -> Dict[str, object]:
    cfg: Dict[str, object] = {}
    for item in setting.split(","):
        key, value = item.split("=")
        if value.lower() in ("true", "false"):
            cfg[key] = value.lower() == "true"
        elif value.lower() in ("none", "null"):
            cfg[key] = None
        else:
            cfg[key] = float(value) if "." in value else int(value)
    return cfg


@click.command()
@click.argument("model", type=click.Path(exists=True, path_type=Path))
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@click.option("--setting", "settings", multiple=True, help="e.g. ratio=0.4,n_sentences=null,block_trigrams=false")
@click.option("--output", type=click.Path(path_type=Path), default=None)
@click.option("--component", default="summarizer")
def main(model: Path, data: Path, settings: List[str], output: Path, component: str) -> None:
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    from spacy_bert_components.span_groups import write_owned_group
    from spacy_bert_components.summarization.component import SUMMARY_KIND

    nlp = spacy.load(model)
    pipe = nlp.get_pipe(component)
    refs = list(DocBin().from_disk(data).get_docs(nlp.vocab))
    preds = list(nlp.pipe((nlp.make_doc(d.text) for d in refs), batch_size=16))
    results = {}
    original = dict(pipe.cfg)
    for setting in ["default"] + list(settings):
        pipe.cfg.update(original)
        if setting != "default":
            pipe.cfg.update(_parse(setting))
        examples = []
        for pred, ref in zip(preds, refs):
            group = pred.spans[pipe.cfg["sentences_key"]]
            sents = list(group)
            probs = list(group.attrs["scores"])
            chosen = pipe.select(sents, probs)
            write_owned_group(
                pred,
                pipe.cfg["spans_key"],
                [sents[i] for i in chosen],
                kind=SUMMARY_KIND,
                annotator=pipe.name,
                attrs={"scores": [probs[i] for i in chosen]},
            )
            examples.append(Example(pred, ref))
        scores = pipe.score(examples)
        results[setting] = {"cfg": {k: pipe.cfg[k] for k in ("n_sentences", "ratio", "block_trigrams")}, **scores}
        click.echo(f"{setting}: " + ", ".join(f"{k}={v:.2f}" for k, v in scores.items() if v is not None))
    pipe.cfg.update(original)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
