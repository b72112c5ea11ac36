"""A small CoNLL-2003 data set in the shared data's format (`token POS chunk
NER`, IOB2 tags, `-DOCSTART-` between documents): train.iob and dev.iob,
written by the tests, never copied from the real data."""

from pathlib import Path

TRAIN_IOB = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
to TO B-VP O
boycott VB I-VP O
British JJ B-NP B-MISC
lamb NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O

-DOCSTART- -X- -X- O

Angela NNP B-NP B-PER
Merkel NNP I-NP I-PER
visited VBD B-VP O
Paris NNP B-NP B-LOC
on IN B-PP O
Tuesday NNP B-NP O
. . O O

The DT B-NP O
European NNP I-NP B-ORG
Commission NNP I-NP I-ORG
said VBD B-VP O
nothing NN B-NP O
. . O O

-DOCSTART- -X- -X- O

New NNP B-NP B-LOC
York NNP I-NP I-LOC
beat VBD B-VP O
Boston NNP B-NP B-ORG
4-2 CD I-NP O
. . O O
"""

DEV_IOB = """-DOCSTART- -X- -X- O

SOCCER NN B-NP O
- : O O
JAPAN NNP B-NP B-LOC
GET VB B-VP O
LUCKY NNP B-NP O
WIN NNP I-NP O
. . O O

Nadim NNP B-NP B-PER
Ladki NNP I-NP I-PER

-DOCSTART- -X- -X- O

Reuters NNP B-NP B-ORG
reported VBD B-VP O
Italian JJ B-NP B-MISC
growth NN I-NP O
. . O O
"""

# What the converter must find in each file.
TRAIN_COUNTS = {"docs": 3, "sentences": 6, "ents": {"ORG": 3, "MISC": 2, "PER": 2, "LOC": 3}}
DEV_COUNTS = {"docs": 2, "sentences": 3, "ents": {"LOC": 1, "PER": 1, "ORG": 1, "MISC": 1}}


def write_conll03(folder: Path) -> Path:
    """Write train.iob and dev.iob into `folder` (created).

    RETURNS (Path): The folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.iob").write_text(TRAIN_IOB, encoding="utf8")
    (folder / "dev.iob").write_text(DEV_IOB, encoding="utf8")
    return folder
