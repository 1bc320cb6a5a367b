"""The one way the package writes a file: into a temporary file beside it, then a rename.

A reader never sees half a file, and a failure or a cancel (Ctrl+C, a closed generator) leaves
nothing behind. This module imports nothing else of the package, so every layer may use it
(``model.weights`` included).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["AtomicWrite", "atomic_write", "umask"]


def umask() -> int:
    """The process's umask (read without changing it for longer than the call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class AtomicWrite:
    """``with atomic_write(path) as part:`` write ``part``; on a normal exit it gets the usual
    permissions (0o666 less the umask, as a plain ``open`` gives) and is renamed onto ``path``;
    on any exception it is removed and the exception goes on.

    The temporary file (``.STEM-XXXX.part.EXT``) is made when this object is, so an ``OSError``
    there (a read-only folder) comes before any work and can be told apart from the writer's own
    failures. It keeps the extension last, for writers that pick the format by extension.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        folder = self.path.parent if str(self.path.parent) else Path(".")
        fd, name = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".part" + self.path.suffix, dir=folder)
        os.close(fd)
        self.part = Path(name)

    def __enter__(self) -> Path:
        return self.part

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            try:
                os.chmod(self.part, 0o666 & ~umask())  # mkstemp makes 0600
                os.replace(self.part, self.path)
                return
            except BaseException:
                self.part.unlink(missing_ok=True)
                raise
        self.part.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike[str]) -> AtomicWrite:
    """A temporary file beside ``path`` that becomes ``path`` when the ``with`` block ends normally."""
    return AtomicWrite(path)
