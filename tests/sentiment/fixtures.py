"""A small SST-2 data set in the shared data's format (one sentence a line,
`label text`, 1 positive and 0 negative, lower-cased and tokenized):
train.txt and dev.txt, written by the tests, never copied from the real data."""

from pathlib import Path

TRAIN_TXT = """1 a warm , funny and thoroughly charming film .
0 the plot is thin and the jokes fall flat .
1 one of the most moving stories of the year .
0 a tedious , overlong mess that never finds its footing .
1 the cast is superb and the script is sharp .
0 i 've seen better acting in a school play .
1 it 's a delight from start to finish .
0 dull , predictable and badly paced .
1 gorgeous to look at and smart about its characters .
0 the director seems to have lost interest halfway through .
"""

DEV_TXT = """1 a clever , touching comedy .
0 a waste of a talented cast .

1 smart , funny and never boring .
0 the ending makes no sense at all .
1 worth seeing twice .
0 flat characters and a lazy script .
"""

# Sentences (blank lines are skipped) and positive sentences per file.
TRAIN_COUNTS = {"docs": 10, "positive": 5}
DEV_COUNTS = {"docs": 6, "positive": 3}


def write_sst2(folder: Path) -> Path:
    """Write train.txt and dev.txt into `folder` (created).

    RETURNS (Path): The folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.txt").write_text(TRAIN_TXT, encoding="utf8")
    (folder / "dev.txt").write_text(DEV_TXT, encoding="utf8")
    return folder
