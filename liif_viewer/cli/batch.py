"""Batch runs of ``upscale`` and ``export``: many files, folders and globs into one output folder.

The plan (which source goes to which output name) is made before anything renders, so name
clashes are found first. Outputs that exist are skipped unless ``overwrite``, so a stopped batch
resumes where it stopped. A file that fails is reported in one line and the batch goes on. Ctrl+C
(SIGINT) asks the render to stop after its current tile; the unfinished file is not written (every
output is written to a temporary name and renamed), and a second Ctrl+C stops at once.
"""

from __future__ import annotations

import glob
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..cancel import Cancelled, CancelToken

__all__ = ["IMAGE_SUFFIXES", "BatchItem", "BatchSummary", "BatchAbort", "expand_inputs",
           "plan_batch", "run_batch", "stop_on_sigint", "default_pattern", "batch_command"]

#: Files a folder contributes to a batch (others in it are left alone).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif")
_WRITABLE = {"png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp"}  # {ext} of other sources becomes png


class BatchAbort(Exception):
    """A failure that no file of the batch can get past (e.g. the model does not load); ends the batch."""


@dataclass(frozen=True)
class BatchItem:
    """One source file and the output it goes to."""

    source: Path
    output: Path


@dataclass
class BatchSummary:
    """What a batch did: outputs written, skipped (already there), failed (source, one-line reason)."""

    total: int
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    stopped: bool = False

    @property
    def left(self) -> int:
        """Files not reached because the batch was stopped."""
        return self.total - self.done - self.skipped - len(self.failed)

    def line(self) -> str:
        """The summary line printed at the end."""
        text = f"{self.done} done, {self.skipped} skipped (output exists), {len(self.failed)} failed"
        if self.stopped:
            text += f", {self.left} left: stopped; run the same command again to resume"
        return text


def expand_inputs(inputs: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Files, folders (their images, not recursive, sorted by name) and globs → (files in order without
    repeats, one-line problems such as a missing file or a glob that matches nothing)."""
    files: list[Path] = []
    problems: list[str] = []
    for text in inputs:
        path = Path(text).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                problems.append(f"{text}: no images in this folder ({', '.join(IMAGE_SUFFIXES)})")
            files += found
        elif path.is_file():
            files.append(path)
        elif glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
            if not found:
                problems.append(f"{text}: no file matches")
            files += found
        else:
            problems.append(f"{text}: no such file or folder")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, problems


def output_name(pattern: str, source: Path, fields: dict[str, str]) -> str:
    """The output file name for ``source`` from ``pattern`` ({stem}, {ext} and ``fields``)."""
    ext = source.suffix.lower().lstrip(".")
    values = {"stem": source.stem, "ext": ext if ext in _WRITABLE else "png", **fields}
    try:
        name = pattern.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join("{" + k + "}" for k in values)
        raise ValueError(f"--name {pattern!r} is not a name pattern ({exc}); it may use {known}") from None
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"--name {pattern!r} gives {name!r} for {source.name}, which is not a file name")
    return name


def plan_batch(sources: Sequence[Path], out_dir: Path, pattern: str, fields: dict[str, str]) -> list[BatchItem]:
    """Pair every source with its output in ``out_dir``; ValueError when two would write the same file or
    an output would replace its source."""
    items: list[BatchItem] = []
    taken: dict[Path, Path] = {}
    for source in sources:
        output = out_dir / output_name(pattern, source, fields)
        key = output.resolve()
        if key in taken:
            raise ValueError(f"{taken[key].name} and {source.name} would both be written to {output}; "
                             "give a --name pattern that tells them apart, e.g. {stem}_{ext}_x{scale}.png")
        if key == source.resolve():
            raise ValueError(f"the output for {source} would replace it; choose another -o folder or --name")
        taken[key] = source
        items.append(BatchItem(source, output))
    return items


@contextmanager
def stop_on_sigint(say: Callable[[str], None]) -> Iterator[CancelToken]:
    """While active, the first SIGINT cancels the token it gives (the second interrupts at once)."""
    stop = CancelToken()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals are delivered to the main thread only
        return

    def handler(_signum: int, _frame: object) -> None:
        if stop.cancelled:
            raise KeyboardInterrupt
        stop.cancel()
        say("stopping after the current tile (Ctrl+C again to stop at once)…")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


RenderOne = Callable[[BatchItem, Callable[[int, int], None], CancelToken], None]


def run_batch(items: Sequence[BatchItem], render: RenderOne, *, overwrite: bool = False,
              cancel: CancelToken | None = None, say: Callable[[str], None] = print,
              progress: Callable[[int, float, BatchItem], None] = lambda i, f, item: None) -> BatchSummary:
    """Render every item in turn with ``render(item, update(done, total), cancel)``.

    ``render`` writes ``item.output`` atomically or raises; it raises ``Cancelled`` when ``cancel``
    was set before it finished (the file is not written). ``progress(index, fraction of that file,
    item)`` drives one bar.
    """
    cancel = cancel or CancelToken()
    summary = BatchSummary(total=len(items))
    for index, item in enumerate(items):
        if cancel.cancelled:
            summary.stopped = True
            break
        progress(index, 0.0, item)
        if item.output.exists() and not overwrite:
            summary.skipped += 1
            continue

        def update(done: int, total: int, index: int = index, item: BatchItem = item) -> None:
            progress(index, done / max(total, 1), item)

        try:
            render(item, update, cancel)
        except Cancelled:
            summary.stopped = True
            break
        except BatchAbort:
            raise
        except Exception as exc:  # noqa: BLE001  (one line per failed file; the batch goes on)
            reason = str(exc) or type(exc).__name__
            reason = reason.removeprefix(f"{item.source.name}: ")  # the line names the file already
            summary.failed.append((item.source, reason))
            say(f"failed: {item.source}: {reason}")
            continue
        summary.done += 1
        progress(index, 1.0, item)
    return summary


def default_pattern(scale: float | None) -> str:
    """``{stem}_x{scale}.{ext}`` for a scale factor, ``{stem}_{scale}.{ext}`` for a WxH size."""
    return "{stem}_x{scale}.{ext}" if scale else "{stem}_{scale}.{ext}"


def batch_command(inputs: Sequence[str], out_dir: str, pattern: str, fields: dict[str, str], render: RenderOne,
                  *, overwrite: bool = False, label: str = "batch", say: Callable[[str], None] = print) -> int:
    """A whole batch as a command: plan, one progress bar, one line per failure, a summary; the exit status
    (0 all written or skipped, 1 any failed, 130 stopped). ValueError for a plan that cannot run."""
    import sys
    import time

    from tqdm import tqdm

    sources, problems = expand_inputs(inputs)
    folder = Path(out_dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"-o {out_dir} is a file; with several inputs, a folder or a glob, -o names the output folder")
    items = plan_batch(sources, folder, pattern, fields)
    for problem in problems:
        say(f"failed: {problem}")
    if not items:
        raise ValueError("no input images to process")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None
    bar = tqdm(total=len(items), desc=label, unit="file", file=sys.stderr, disable=None, leave=False,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total} files [{elapsed}<{remaining}{postfix}]")

    def progress(index: int, fraction: float, item: BatchItem) -> None:
        bar.n = index + fraction
        bar.set_postfix_str(item.source.name, refresh=False)
        bar.refresh()

    def report(line: str) -> None:
        if bar.disable:
            say(line)
        else:
            bar.write(line, file=sys.stderr)

    start = time.perf_counter()
    try:
        with stop_on_sigint(report) as stop:
            summary = run_batch(items, render, overwrite=overwrite, cancel=stop, say=report, progress=progress)
    finally:
        bar.close()
    summary.failed[:0] = [(Path(p.split(": ", 1)[0]), p) for p in problems]
    summary.total += len(problems)
    print(f"{label}: {summary.line()} in {time.perf_counter() - start:.1f} s; outputs in {folder}", flush=True)
    if summary.stopped:
        return 130
    return 1 if summary.failed else 0
