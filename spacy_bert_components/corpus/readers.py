"""Reading one block of a corpus into Arrow rows, in input order: the five
formats' readers. Reading a block touches only that block: nothing holds the
whole corpus in memory, and archives are read member by member, never
extracted."""

import gzip
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from ..errors import UnreadableInputError
from .blocks import Block
from .sources import ReadOptions, member_is_document

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
        yield {
            "row": None,
            "member": None,
            "file": str(folder / rel),
            "id": doc_id,
            "text": (folder / rel).read_bytes(),
        }


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
                if not member_is_document(info):
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
            text, error = _check_text(
                record.get("text"), options.text_column if source.kind in ("parquet", "jsonl") else "file"
            )
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
