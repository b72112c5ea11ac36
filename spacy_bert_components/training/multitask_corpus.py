"""A reader that mixes several single-task corpora for joint training.

Each example carries one task's gold only (a CoNLL sentence has entities but
no sentiment); the components treat the other annotations as missing. What
this reader controls is the mix: tasks are drawn with probability
proportional to `n_task ** temperature`, so with the default 0.5 CoNLL-2003's
14,000 sentences do not drown UP's 1,600 (1.0 would sample by size, 0.0
uniformly). One epoch yields as many examples as all corpora together;
smaller corpora are cycled, each pass reshuffled. With `sample = false`
(for dev data) every corpus is read once, in order, up to `limit` docs each.
"""

import random
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry


@registry.readers("spacy-bert-components.MultiTaskCorpus.v1")
def create_multitask_corpus_v1(
    paths: Dict[str, str],
    temperature: float = 0.5,
    seed: int = 0,
    max_length: int = 0,
    sample: bool = True,
    limit: int = 0,
) -> Callable[[Language], Iterable[Example]]:
    """Mix single-task DocBin corpora.

    paths (Dict[str, str]): Task name to `.spacy` file or folder.
    temperature (float): Task sampling exponent (see module docstring).
    seed (int): Seed for the task draws; each epoch draws anew.
    max_length (int): Skip longer docs (0: keep all), as `spacy.Corpus.v1`.
    sample (bool): Draw tasks by temperature; False reads each corpus once.
    limit (int): At most this many docs of each corpus (0: all).
    RETURNS (Callable[[Language], Iterable[Example]]): The reader.
    """
    for task, path in paths.items():
        if not Path(path).exists():
            raise ValueError(
                f"[corpora] paths.{task} = {path!r} does not exist: convert that "
                "task's data first (see its project's `convert` command)."
            )
    return MultiTaskCorpus(paths, temperature=temperature, seed=seed, max_length=max_length, sample=sample, limit=limit)


class MultiTaskCorpus:
    def __init__(
        self,
        paths: Dict[str, str],
        *,
        temperature: float,
        seed: int,
        max_length: int,
        sample: bool = True,
        limit: int = 0,
    ) -> None:
        self.corpora = {
            task: Corpus(path, shuffle=sample, max_length=max_length, limit=limit) for task, path in paths.items()
        }
        self.temperature = temperature
        self.sample = sample
        self.rng = random.Random(seed)

    def __call__(self, nlp: Language) -> Iterator[Example]:
        if not self.sample:
            for corpus in self.corpora.values():
                yield from corpus(nlp)
            return
        sizes = {task: sum(1 for _ in corpus(nlp)) for task, corpus in self.corpora.items()}
        tasks: List[str] = [task for task, size in sizes.items() if size > 0]
        if not tasks:
            return
        weights = [sizes[task] ** self.temperature for task in tasks]
        streams = {task: iter(self.corpora[task](nlp)) for task in tasks}
        for _ in range(sum(sizes.values())):
            task = self.rng.choices(tasks, weights=weights)[0]
            try:
                yield next(streams[task])
            except StopIteration:  # cycle the smaller corpora, reshuffled
                streams[task] = iter(self.corpora[task](nlp))
                yield next(streams[task])
