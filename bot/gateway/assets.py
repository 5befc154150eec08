"""Files the gateway serves from memory: read on first use, re-read when they change on disk."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


@dataclass(frozen=True)
class Loaded:
    body: bytes
    etag: str  # strong validator: quoted sha256 prefix of the content

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class FileAsset:
    """One file, cached by its modification time (one stat() per use, no read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime_ns: int | None = None
        self._loaded: Loaded | None = None

    def current(self) -> Loaded:
        """The file's content; raises FileNotFoundError when it is missing."""
        mtime_ns = self.path.stat().st_mtime_ns
        if self._loaded is None or mtime_ns != self._mtime_ns:
            body = self.path.read_bytes()
            self._loaded = Loaded(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
            self._mtime_ns = mtime_ns
        return self._loaded
