"""What the SRL component needs to know about a predicate's word: its lemma
(the prefix of its roleset) and whether it is an auxiliary."""

from spacy.tokens import Token

# PropBank's EWT annotation gives auxiliary have/be/do a frame of their own
# with no argument (have.01, be.03, do.01: 11% of the UP English dev
# predicates). Such a frame says nothing to a reader, so by default a frame
# with no argument on one of these words is not written.
AUXILIARY_FORMS = frozenset(
    "be am is are was were been being 's 're 'm have has had having 've 'd do does did done doing".split()
)


def predicate_lemma(token: Token) -> str:
    """RETURNS (str): The token's lower-cased lemma as a lemmatizer earlier in
    the pipeline set it; "" when none did (never a guess from the surface form)."""
    return token.lemma_.lower() if token.lemma_ else ""


def is_auxiliary(token: Token) -> bool:
    """RETURNS (bool): Whether the token is a form of have/be/do."""
    return token.lower_ in AUXILIARY_FORMS or predicate_lemma(token) in AUXILIARY_FORMS
