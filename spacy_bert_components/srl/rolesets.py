"""The roles and rolesets a trained `bert_srl` knows, and the choice of a
predicate's roleset among the candidates seen with its lemma or word form."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Token

from .predicates import predicate_lemma


@dataclass(frozen=True)
class RolesetIndex:
    """Lookup tables built from the component's `cfg`.

    roles (List[str]): Argument roles; BIO tag i > 0 belongs to roles[(i - 1) // 2].
    role_index (Dict[str, int]): Role -> its index in `roles`.
    rolesets (List[str]): Rolesets, in the order of the roleset classifier's rows.
    roleset_index (Dict[str, int]): Roleset -> its row.
    by_lemma (Dict[str, List[int]]): Lemma -> rows of its rolesets ("give" ->
        give.01, give.02 ...).
    by_form (Dict[str, List[int]]): Lower-cased word form -> rows of the
        rolesets seen with it in training, most frequent first.
    """

    roles: List[str]
    role_index: Dict[str, int]
    rolesets: List[str]
    roleset_index: Dict[str, int]
    by_lemma: Dict[str, List[int]]
    by_form: Dict[str, List[int]]

    @classmethod
    def from_labels(
        cls, roles: Sequence[str], rolesets: Sequence[str], form_rolesets: Mapping[str, Sequence[str]]
    ) -> "RolesetIndex":
        roleset_index = {r: i for i, r in enumerate(rolesets)}
        by_lemma: Dict[str, List[int]] = defaultdict(list)
        for roleset, i in roleset_index.items():
            by_lemma[roleset.rsplit(".", 1)[0]].append(i)
        by_form = {
            form: [roleset_index[r] for r in found if r in roleset_index] for form, found in form_rolesets.items()
        }
        return cls(
            roles=list(roles),
            role_index={r: i for i, r in enumerate(roles)},
            rolesets=list(rolesets),
            roleset_index=roleset_index,
            by_lemma=dict(by_lemma),
            by_form=by_form,
        )

    @property
    def n_tags(self) -> int:
        """RETURNS (int): BIO tags: O, then B- and I- per role."""
        return 1 + 2 * len(self.roles)

    def choose(self, token: Token, logits: Any) -> Optional[str]:
        """The best-scoring roleset seen in training for the token's lemma or
        word form; for a predicate never seen in training, its lemma + ".01".

        The lemma comes from a lemmatizer earlier in the pipeline (the project
        configs and the default pipeline run spaCy's lookup lemmatizer):
        without one, an unseen predicate gets no roleset rather than one made
        from its surface form ("rode.01" for ride.01).

        logits (Any): Indexable by roleset row (an array of all rolesets' logits);
            None when there is no roleset classifier.
        """
        lemma, candidates = self.candidates(token)
        if candidates and logits is not None:
            return self.rolesets[max(candidates, key=lambda k: logits[k])]
        return f"{lemma}.01" if lemma else None

    def candidates(self, token: Token) -> Tuple[str, List[int]]:
        """RETURNS (Tuple[str, List[int]]): The token's lemma and the rows of
        the rolesets seen in training with its lemma or word form."""
        lemma = predicate_lemma(token)
        return lemma, self.by_lemma.get(lemma, []) + self.by_form.get(token.lower_, [])

    def choose_all(
        self, tokens: Sequence[Token], features: numpy.ndarray, weight: numpy.ndarray, bias: numpy.ndarray
    ) -> List[Optional[str]]:
        """`choose` for many predicates, with the roleset classifier's logits
        of every predicate's candidates in one product: thousands of
        rolesets, a handful of candidates each.

        tokens (Sequence[Token]): The predicates.
        features (numpy [predicates, features]): The classifier's input per predicate.
        weight, bias (numpy): The classifier ([rolesets, features], [rolesets]).
        RETURNS (List[Optional[str]]): The chosen roleset per predicate.
        """
        found = [self.candidates(token) for token in tokens]
        rows = numpy.asarray([k for _, candidates in found for k in candidates], dtype="int64")
        owners = numpy.repeat(numpy.arange(len(found)), [len(candidates) for _, candidates in found])
        logits = numpy.einsum("ij,ij->i", weight[rows], features[owners]) + bias[rows]
        chosen: List[Optional[str]] = []
        start = 0
        for token, (_, candidates) in zip(tokens, found):
            if candidates:
                # The first best, as `max` over the candidates picks it.
                chosen.append(self.rolesets[candidates[int(numpy.argmax(logits[start : start + len(candidates)]))]])
            else:
                chosen.append(self.choose(token, None))  # the unseen predicate's fallback
            start += len(candidates)
        return chosen
