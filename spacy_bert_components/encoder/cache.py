"""Cache a frozen encoder's outputs per document while training heads: on
disk, filled once per corpus and windowing, read by every epoch, run and head
trained on that corpus.

A frozen encoder gives the same output for the same document every epoch, yet
spaCy's training loop re-encodes every example each time (the transformer is
an annotating component), and a base-size encoder's outputs for a training
set (every hidden state of every wordpiece) do not fit in memory. Here they
are kept as float16 in append-only files and read back memory-mapped; the OS
page cache keeps what fits in memory. On CPU, encoding is most of a frozen
run: with the cache filled, a new run of another head on the same corpus
does head-only work from its first epoch.

The cache is only ever switched on for an encoder whose weights cannot change
(`save_weights = false`: weights saved by reference would lose any update)
and that was initialized in this process, i.e. is being trained; a pipeline
loaded with `spacy.load` never caches.

Layout: under `cache_root()`, one folder per namespace (`namespace_key`: the
encoder's weights, its tokenizer and transformer settings, the window getter,
the precision and the code versions), holding `index.sqlite` (document key ->
file, offset, shapes) and `values-<id>.f16` files, one per writing process, so
that two trainings may fill one namespace at once. A document's key hashes its
text, token boundaries and sentence starts: whatever decides its windows. A
change of any of these is a miss and is encoded anew, never read stale.
`spacy-bert encoder cache` reports the folders and sizes, `--clear` removes them.
"""

import contextlib
import functools
import hashlib
import inspect
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy
import srsly
from spacy.tokens import Doc
from spacy_transformers.data_classes import TransformerData
from transformers.file_utils import ModelOutput

CACHE_DIR_ENV = "SPACY_BERT_ENCODER_CACHE_DIR"
CACHE_MB_ENV = "SPACY_BERT_ENCODER_CACHE_MB"
# A budget per namespace: a base encoder's outputs for the PropBank EWT
# training set take about 5 GB in float16.
DEFAULT_CACHE_MB = 20_000
INDEX_FILE = "index.sqlite"


def cache_budget_mb() -> int:
    """RETURNS (int): `$SPACY_BERT_ENCODER_CACHE_MB`, megabytes of outputs per
    namespace (default `DEFAULT_CACHE_MB`); 0 switches the cache off."""
    value = os.environ.get(CACHE_MB_ENV, str(DEFAULT_CACHE_MB))
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{CACHE_MB_ENV} must be a whole number of megabytes, not {value!r}") from None


def cache_root() -> Path:
    """RETURNS (Path): `$SPACY_BERT_ENCODER_CACHE_DIR`, else
    `$XDG_CACHE_HOME/spacy-bert-components/encoder-outputs` (~/.cache)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "spacy-bert-components" / "encoder-outputs"


def namespace_key(settings: Dict[str, Any]) -> str:
    """settings (Dict[str, Any]): Everything besides the document that
    decides the encoder's output (JSON-serializable).
    RETURNS (str): A short stable hash naming the namespace's folder."""
    return hashlib.sha256(srsly.json_dumps(settings, sort_keys=True).encode("utf8")).hexdigest()[:24]


def doc_cache_key(doc: Doc) -> str:
    """RETURNS (str): A stable key of the encoder's input for `doc`: its
    text, token boundaries and sentence starts (which decide the windows)."""
    digest = hashlib.sha256(doc.text.encode("utf8"))
    digest.update(numpy.asarray([token.idx for token in doc], dtype="int64").tobytes())
    if doc.has_annotation("SENT_START"):
        digest.update(bytes(1 if token.is_sent_start else 0 for token in doc))
    return digest.hexdigest()


def span_getter_fingerprint(get_spans: Any) -> List[str]:
    """RETURNS (List[str]): What names a window getter and its settings: its
    type or function and the plain values it holds (`max_wordpieces`, a
    window and stride in a closure)."""
    if isinstance(get_spans, functools.partial):
        return span_getter_fingerprint(get_spans.func) + [
            repr(get_spans.args),
            repr(sorted(get_spans.keywords.items())),
        ]
    plain = (int, float, str, bool, type(None))
    if inspect.isfunction(get_spans):
        parts = [f"{get_spans.__module__}.{get_spans.__qualname__}"]
        values = [cell.cell_contents for cell in get_spans.__closure__ or ()]
    else:
        parts = [f"{type(get_spans).__module__}.{type(get_spans).__qualname__}"]
        values = [value for _, value in sorted(vars(get_spans).items())] if hasattr(get_spans, "__dict__") else []
    return parts + [repr(value) for value in values if isinstance(value, plain)]


def _arrays(output: ModelOutput) -> List[Tuple[str, int, numpy.ndarray]]:
    """(key, position in a list or -1, array) for every array of the output;
    a last hidden state equal to the last of `hidden_states` is left out."""
    found = []
    hidden = output.get("hidden_states")
    for key, value in output.items():
        if isinstance(value, (list, tuple)):
            found.extend((key, i, numpy.asarray(array)) for i, array in enumerate(value))
        elif (
            key == "last_hidden_state" and hidden and numpy.array_equal(numpy.asarray(value), numpy.asarray(hidden[-1]))
        ):
            continue
        else:
            found.append((key, -1, numpy.asarray(value)))
    return found


class EncoderOutputCache:
    """Per-document encoder outputs in float16 on disk, within a size budget.

    folder (Path): The namespace's folder (created).
    max_mb (int): Stop adding documents once the namespace holds this much.
    """

    def __init__(self, folder: Path, max_mb: int) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_mb * 1024 * 1024
        self.hits = 0
        self.misses = 0
        self._index = sqlite3.connect(str(self.folder / INDEX_FILE), timeout=60, isolation_level=None)
        self._index.execute("PRAGMA journal_mode=WAL")
        self._index.execute(
            "CREATE TABLE IF NOT EXISTS entries "
            "(key TEXT PRIMARY KEY, file TEXT, offset INTEGER, nbytes INTEGER, meta BLOB)"
        )
        # Counted once, then by this process's additions: other processes'
        # additions meanwhile may take the namespace a little past its budget.
        self.nbytes = int(self._index.execute("SELECT COALESCE(SUM(nbytes), 0) FROM entries").fetchone()[0])
        self._values: Optional[Path] = None
        self._maps: Dict[str, numpy.memmap] = {}

    def __len__(self) -> int:
        return int(self._index.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def get(self, key: str) -> Optional[TransformerData]:
        row = self._index.execute("SELECT file, offset, meta FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        name, offset, packed = row
        meta = srsly.msgpack_loads(packed)
        values = self._map(name)
        output: Dict[str, Any] = {}
        start = offset // 2
        for key_, position, shape in meta["arrays"]:
            size = int(numpy.prod(shape))
            array = numpy.asarray(values[start : start + size], dtype="float32").reshape(shape)
            start += size
            if position < 0:
                output[key_] = array
            else:
                output.setdefault(key_, []).append(array)
        if "last_hidden_state" not in output:
            output["last_hidden_state"] = output["hidden_states"][-1].copy()
        for key_ in meta["tuples"]:
            output[key_] = tuple(output[key_])
        # The keys in the order the encoder gave them.
        output = ModelOutput({key_: output[key_] for key_ in meta["keys"]})
        return TransformerData.empty().from_dict(
            {"wordpieces": meta["wordpieces"], "model_output": output, "align": meta["align"]}
        )

    def put(self, key: str, data: TransformerData) -> None:
        if "last_hidden_state" not in data.model_output:
            return
        if self._index.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone() is not None:
            return
        arrays = _arrays(data.model_output)
        blob = b"".join(numpy.ascontiguousarray(array, dtype="float16").tobytes() for _, _, array in arrays)
        if self.nbytes + len(blob) > self.max_bytes:
            return
        if self._values is None:
            self._values = self.folder / f"values-{uuid.uuid4().hex[:12]}.f16"
        with self._values.open("ab") as fileh:
            offset = fileh.tell()
            fileh.write(blob)
        meta = {
            "keys": list(data.model_output.keys()),
            "arrays": [(key_, position, list(array.shape)) for key_, position, array in arrays],
            "tuples": [key_ for key_, value in data.model_output.items() if isinstance(value, tuple)],
            "wordpieces": data.wordpieces.to_dict(),
            "align": [numpy.asarray(data.align.dataXd), numpy.asarray(data.align.lengths)],
        }
        self._index.execute(
            "INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?, ?)",
            (key, self._values.name, offset, len(blob), srsly.msgpack_dumps(meta)),
        )
        self.nbytes += len(blob)

    def _map(self, name: str) -> numpy.memmap:
        path = self.folder / name
        values = self._maps.get(name)
        # Files only grow: map again when a record lies past the mapped end.
        if values is None or values.shape[0] * 2 < path.stat().st_size:
            values = numpy.memmap(path, dtype="float16", mode="r")
            self._maps[name] = values
        return values


def open_output_cache(model: Any, *, weights_sha256: str, precision: str) -> Optional[EncoderOutputCache]:
    """The cache of a frozen encoder being trained, in the namespace of
    everything that decides its outputs.

    model (TransformerModel): The encoder, initialized.
    weights_sha256 (str): The sha256 of the encoder's weights file.
    precision (str): The precision it predicts at ("fp32", "bf16").
    RETURNS (Optional[EncoderOutputCache]): None when switched off
        (`SPACY_BERT_ENCODER_CACHE_MB=0`).
    """
    budget = cache_budget_mb()
    if budget <= 0:
        return None
    from importlib.metadata import version

    from ..about import __version__

    config = {key: value for key, value in model.transformer.config.to_dict().items() if not key.startswith("_")}
    settings = {
        "weights_sha256": weights_sha256,
        "tokenizer": tokenizer_fingerprint(model.tokenizer),
        "transformer_config": config,
        "get_spans": span_getter_fingerprint(model.attrs["get_spans"]),
        "precision": precision,
        # Windowing and alignment code may change between releases.
        "versions": [__version__, version("spacy-transformers"), version("transformers")],
    }
    return EncoderOutputCache(cache_root() / namespace_key(settings), budget)


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """RETURNS (str): sha256 of a tokenizer's whole definition (vocabulary,
    normalizer, special tokens) for a fast tokenizer, else of its vocabulary."""
    if hasattr(tokenizer, "backend_tokenizer"):
        text = tokenizer.backend_tokenizer.to_str()
    else:
        text = srsly.json_dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode("utf8")).hexdigest()


def split_cached(
    cache: EncoderOutputCache, docs: List[Doc]
) -> Tuple[List[str], List[Optional[TransformerData]], List[int]]:
    """RETURNS: (keys, found per doc or None, indices of the docs to encode)."""
    keys = [doc_cache_key(doc) for doc in docs]
    found = [cache.get(key) for key in keys]
    missing = [i for i, data in enumerate(found) if data is None]
    return keys, found, missing


def cache_folders(root: Optional[Path] = None) -> List[Tuple[Path, int, int]]:
    """RETURNS (List[Tuple[Path, int, int]]): Each namespace folder under
    `root` (default: `cache_root()`), its documents and its bytes on disk."""
    root = root or cache_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if (p / INDEX_FILE).exists()):
        with contextlib.closing(sqlite3.connect(str(folder / INDEX_FILE))) as index:
            docs = index.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        found.append((folder, int(docs), size))
    return found


def clear_cache(root: Optional[Path] = None) -> int:
    """Remove every namespace folder under `root` (default: `cache_root()`).

    RETURNS (int): Bytes freed.
    """
    freed = 0
    for folder, _, size in cache_folders(root):
        shutil.rmtree(folder)
        freed += size
    return freed
