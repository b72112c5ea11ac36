"""Inputs of the batch runner: find the documents, cut them into blocks, read
one block at a time.

A *block* is a fixed range of one source (rows of a Parquet or JSON-lines
file, files of a `.txt` folder, members of an archive). Blocks are planned
once from metadata and cheap scans, so the same inputs and options always give
the same blocks: that is what makes `--resume` exact. Reading a block touches
only that block: nothing holds the whole corpus in memory, and archives are
read member by member, never extracted.
"""
import gzip
import hashlib
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pyarrow as pa

PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
TXT_SUFFIXES = (".txt",)
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")

# What a read block looks like: one row per input row, in input order.
SOURCE_TYPE = pa.struct([("file", pa.string()), ("row", pa.int64()), ("member", pa.string())])
READ_SCHEMA = pa.schema(
    [
        ("block", pa.string()),
        ("index", pa.int64()),
        ("id", pa.string()),
        ("source", SOURCE_TYPE),
        ("text", pa.large_string()),
        ("error", pa.string()),
    ]
)


class UnreadableInputError(Exception):
    """An input path that cannot be read at all (exit code 2). The message
    names the file."""


@dataclass(frozen=True)
class Source:
    """One input to read: a file, or the `.txt` files of one folder.

    kind (str): "parquet", "jsonl", "txt", "zip" or "tar".
    path (str): The file (or the folder, for "txt").
    label (str): Stable name used in ids and block names (path relative to the
        argument it came from).
    files (Tuple[str, ...]): For "txt": the files, relative to `path`.
    """

    kind: str
    path: str
    label: str
    files: Tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """RETURNS (str): Short stable hash of kind and label, for file names."""
        return hashlib.sha1(f"{self.kind}:{self.label}".encode("utf8")).hexdigest()[:10]


@dataclass(frozen=True)
class Block:
    """A range of one source: rows (or files, or members) [start, stop).

    offset (int): Where reading starts: the byte offset of line `start` in a
        JSON-lines file, of the first member header in a tar; else 0.
    """

    source: Source
    number: int
    start: int
    stop: int
    offset: int = 0

    @property
    def name(self) -> str:
        """RETURNS (str): The block's stable name (also its output file stem)."""
        return f"part-{self.source.key}-{self.number:06d}"

    @property
    def n_rows(self) -> int:
        return self.stop - self.start


@dataclass
class ReadOptions:
    """How rows are read: the text and id column or field names."""

    text_column: str = "text"
    id_column: str = "id"


@dataclass
class Plan:
    """The blocks of a run, in order, and the sources they came from."""

    sources: List[Source]
    blocks: List[Block]
    rows_per_block: int
    rows_per_source: Dict[str, int] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return sum(block.n_rows for block in self.blocks)


def _suffix_kind(path: Path) -> Optional[str]:
    name = path.name.lower()
    for kind, suffixes in (
        ("parquet", PARQUET_SUFFIXES),
        ("jsonl", JSONL_SUFFIXES),
        ("txt", TXT_SUFFIXES),
        ("zip", ZIP_SUFFIXES),
        ("tar", TAR_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    return None


def find_sources(paths: Sequence[Path]) -> List[Source]:
    """Expand the INPUT arguments into sources. A folder contributes each of
    its Parquet, JSON-lines and archive files, and all its `.txt` files as one
    source; hidden files and files starting with "_" are skipped.

    paths (Sequence[Path]): The INPUT arguments.
    RETURNS (List[Source]): The sources, in a stable order.
    """
    sources: List[Source] = []
    for path in paths:
        if not path.exists():
            raise UnreadableInputError(f"{path}: no such file or folder")
        if path.is_file():
            kind = _suffix_kind(path)
            if kind is None:
                raise UnreadableInputError(
                    f"{path}: unknown input type; expected .parquet, .jsonl, .txt, .zip, .tar or .tar.gz"
                )
            if kind == "txt":
                sources.append(Source("txt", str(path.parent), path.name, (path.name,)))
            else:
                sources.append(Source(kind, str(path), path.name))
            continue
        texts: List[str] = []
        found = False
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(path)
            if any(part.startswith((".", "_")) for part in rel.parts):
                continue
            kind = _suffix_kind(file)
            if kind is None:
                continue
            found = True
            if kind == "txt":
                texts.append(rel.as_posix())
            else:
                sources.append(Source(kind, str(file), f"{path.name}/{rel.as_posix()}"))
        if texts:
            sources.append(Source("txt", str(path), path.name + "/", tuple(texts)))
        if not found:
            raise UnreadableInputError(f"{path}: the folder holds no .parquet, .jsonl, .txt or archive files")
    return sources


def _member_is_document(info: tarfile.TarInfo) -> bool:
    # Folders are not documents; every other member (files, links, ...) is one
    # row, links and devices as error rows: they are never followed.
    return not info.isdir()


def _count_rows(source: Source, options: ReadOptions, every: int = 1) -> Tuple[int, List[int]]:
    """RETURNS (Tuple[int, List[int]]): The number of rows of a source and, for
    JSON lines and tar, the byte offsets where rows 0, every, 2 * every, ...
    start (only those: a long file costs no memory per row)."""
    path = Path(source.path)
    try:
        if source.kind == "parquet":
            import pyarrow.parquet as pq

            pfile = pq.ParquetFile(path)
            names = pfile.schema_arrow.names
            if options.text_column not in names:
                raise UnreadableInputError(
                    f"{path}: no column '{options.text_column}' (columns: {', '.join(names)}); set --text-column"
                )
            return pfile.metadata.num_rows, []
        if source.kind == "jsonl":
            offsets, n_rows = [], 0
            with path.open("rb") as fileh:
                position = 0
                for line in fileh:
                    if line.strip():
                        if n_rows % every == 0:
                            offsets.append(position)
                        n_rows += 1
                    position += len(line)
            return n_rows, offsets
        if source.kind == "txt":
            return len(source.files), []
        if source.kind == "zip":
            with zipfile.ZipFile(path) as archive:
                return sum(1 for info in archive.infolist() if not info.is_dir()), []
        if source.kind == "tar":
            offsets, n_rows = [], 0
            with tarfile.open(path, "r:*") as archive:
                for info in archive:
                    if _member_is_document(info):
                        if n_rows % every == 0:
                            offsets.append(info.offset)
                        n_rows += 1
            return n_rows, offsets
    except UnreadableInputError:
        raise
    except (OSError, EOFError, ValueError, tarfile.TarError, zipfile.BadZipFile, pa.ArrowException) as err:
        raise UnreadableInputError(f"{path}: cannot read {source.kind} input ({err})") from None
    raise ValueError(f"unknown source kind {source.kind}")


def plan_blocks(
    sources: Sequence[Source],
    options: ReadOptions,
    *,
    max_rows_per_block: int,
    workers: int = 1,
    limit: Optional[int] = None,
    rows_per_block: Optional[int] = None,
) -> Plan:
    """Cut the sources into blocks. Unless `rows_per_block` is given (a
    resumed run reuses its first plan), blocks hold `max_rows_per_block` rows,
    fewer for small inputs so that every worker gets several blocks.

    limit (Optional[int]): Keep only the first `limit` rows of all sources.
    RETURNS (Plan): The blocks, in input order.
    """
    scans = [_count_rows(source, options, every=rows_per_block or max_rows_per_block) for source in sources]
    counts: List[int] = []
    remaining = limit
    for n_rows, _ in scans:
        if remaining is not None:
            n_rows = min(n_rows, remaining)
            remaining -= n_rows
        counts.append(n_rows)
    size = rows_per_block or choose_rows_per_block(sum(counts), max_rows=max_rows_per_block, workers=workers)
    blocks: List[Block] = []
    for source, n_rows, (_, offsets) in zip(sources, counts, scans):
        if offsets and size != (rows_per_block or max_rows_per_block):
            offsets = _count_rows(source, options, every=size)[1]  # small input: scan again
        for number, start in enumerate(range(0, n_rows, size)):
            stop = min(start + size, n_rows)
            blocks.append(Block(source, number, start, stop, offsets[number] if offsets else 0))
    return Plan(list(sources), blocks, size, {source.label: n for source, n in zip(sources, counts)})


def choose_rows_per_block(n_rows: int, *, max_rows: int, workers: int) -> int:
    """Small inputs are cut finer, so that every worker gets several blocks.

    RETURNS (int): Rows per block, between 1 and `max_rows`.
    """
    wanted_blocks = max(1, workers) * 4
    return max(1, min(max_rows, -(-n_rows // wanted_blocks)))


# Reading ----------------------------------------------------------------


def _decode(data: bytes) -> Tuple[Optional[str], Optional[str]]:
    try:
        return data.decode("utf8"), None
    except UnicodeDecodeError as err:
        return None, f"undecodable bytes: not UTF-8 (byte 0x{data[err.start]:02x} at position {err.start})"


def _check_text(value: Any, column: str) -> Tuple[Optional[str], Optional[str]]:
    """RETURNS (Tuple[Optional[str], Optional[str]]): The text, or an error."""
    if value is None:
        return None, f"null text: '{column}' is null"
    if isinstance(value, (bytes, bytearray)):
        return _decode(bytes(value))
    if not isinstance(value, str):
        return None, f"not a string: '{column}' holds a {type(value).__name__}"
    return value, None


def _read_parquet(block: Block, options: ReadOptions) -> Iterator[Dict[str, Any]]:
    import pyarrow.parquet as pq

    pfile = pq.ParquetFile(block.source.path)
    names = pfile.schema_arrow.names
    columns = [options.text_column] + ([options.id_column] if options.id_column in names else [])
    # Only the row groups that overlap the block are read, batch by batch.
    groups, first_row, row = [], None, 0
    for i in range(pfile.metadata.num_row_groups):
        n = pfile.metadata.row_group(i).num_rows
        if row + n > block.start and row < block.stop:
            groups.append(i)
            first_row = row if first_row is None else first_row
        row += n
    position = first_row or 0
    for batch in pfile.iter_batches(batch_size=4096, row_groups=groups, columns=columns):
        texts = batch.column(options.text_column).to_pylist()
        ids = batch.column(options.id_column).to_pylist() if options.id_column in names else [None] * len(texts)
        for text, doc_id in zip(texts, ids):
            if block.start <= position < block.stop:
                yield {"row": position, "text": text, "id": doc_id}
            position += 1
        if position >= block.stop:
            break


def _read_jsonl(block: Block, options: ReadOptions) -> Iterator[Dict[str, Any]]:
    with open(block.source.path, "rb") as fileh:
        fileh.seek(block.offset)
        row = block.start
        for line in fileh:
            if row >= block.stop:
                break
            if not line.strip():
                continue
            record: Dict[str, Any] = {"row": row}
            try:
                value = json.loads(line)
            except UnicodeDecodeError as err:
                record["error"] = f"undecodable bytes: not UTF-8 ({err.reason})"
            except ValueError as err:
                record["error"] = f"invalid JSON: {err}"
            else:
                if not isinstance(value, dict):
                    record["error"] = f"not an object: the line holds a JSON {type(value).__name__}"
                elif options.text_column not in value:
                    record["error"] = f"null text: no field '{options.text_column}'"
                else:
                    record["text"] = value[options.text_column]
                    record["id"] = value.get(options.id_column)
            yield record
            row += 1


def _read_txt(block: Block) -> Iterator[Dict[str, Any]]:
    folder = Path(block.source.path)
    for row in range(block.start, block.stop):
        rel = block.source.files[row]
        # Ids are "FOLDER/RELATIVE/PATH" (or the file name for a file given
        # alone), so two folders with the same file names never share ids.
        doc_id = f"{block.source.label}{rel}" if block.source.label.endswith("/") else rel
        yield {"row": None, "member": None, "file": str(folder / rel), "id": doc_id, "text": (folder / rel).read_bytes()}


def _read_zip(block: Block) -> Iterator[Dict[str, Any]]:
    with zipfile.ZipFile(block.source.path) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        for info in members[block.start : block.stop]:
            # Read into memory by the member's entry, never extracted: a name
            # such as "../x" or "/etc/x" is only a string here.
            yield {"row": None, "member": info.filename, "text": archive.read(info)}


def _read_tar(block: Block) -> Iterator[Dict[str, Any]]:
    path = block.source.path
    opener = gzip.open if path.lower().endswith((".gz", ".tgz")) else open
    with opener(path, "rb") as raw:
        # Jump to the block's first member header (for .tar.gz the gzip
        # stream decompresses forward to it) and stream from there.
        raw.seek(block.offset)
        with tarfile.open(fileobj=raw, mode="r|") as archive:
            row = block.start
            for info in archive:
                if row >= block.stop:
                    break
                if not _member_is_document(info):
                    continue
                record: Dict[str, Any] = {"row": None, "member": info.name}
                if info.isfile():
                    fileobj = archive.extractfile(info)
                    record["text"] = fileobj.read() if fileobj is not None else b""
                else:
                    record["error"] = "not a regular file: archive links and devices are not followed"
                yield record
                row += 1


def read_block(block: Block, options: ReadOptions) -> pa.Table:
    """Read one block into a table of READ_SCHEMA: one row per input row, with
    `error` set where the text is null, not a string or not UTF-8.

    block (Block): The block to read.
    options (ReadOptions): Column and field names.
    RETURNS (pa.Table): The rows, in input order.
    """
    source = block.source
    if source.kind == "parquet":
        records = _read_parquet(block, options)
    elif source.kind == "jsonl":
        records = _read_jsonl(block, options)
    elif source.kind == "txt":
        records = _read_txt(block)
    elif source.kind == "zip":
        records = _read_zip(block)
    elif source.kind == "tar":
        records = _read_tar(block)
    else:
        raise ValueError(f"unknown source kind {source.kind}")
    columns: Dict[str, List[Any]] = {name: [] for name in READ_SCHEMA.names}
    for index, record in enumerate(records):
        error = record.get("error")
        text = None
        if error is None:
            text, error = _check_text(record.get("text"), options.text_column if source.kind in ("parquet", "jsonl") else "file")
        member = record.get("member")
        row = record.get("row")
        file = record.get("file", source.path)
        doc_id = record.get("id")
        if doc_id is None:
            doc_id = f"{source.label}:{row}" if row is not None else f"{source.label}/{member}"
        columns["block"].append(block.name)
        columns["index"].append(index)
        columns["id"].append(str(doc_id))
        columns["source"].append({"file": file, "row": row, "member": member})
        columns["text"].append(text)
        columns["error"].append(error)
    table = pa.table(columns, schema=READ_SCHEMA)
    if table.num_rows != block.n_rows:
        raise UnreadableInputError(
            f"{source.path}: expected {block.n_rows} rows in {block.name}, read {table.num_rows} (did the file change?)"
        )
    return table
