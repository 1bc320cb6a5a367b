"""The ``eval`` and ``train`` commands (registered by :func:`liif_viewer.cli.build_parser`)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import add_model_options

if TYPE_CHECKING:
    from ..learn.distributed import DistContext

__all__ = ["add_parsers", "cmd_eval", "cmd_train", "parse_scales"]


def parse_scales(text: str) -> list[int]:
    """``"2,3,4"`` → [2, 3, 4] (whole scales ≥ 1, as the paper's protocols shave whole pixels)."""
    from ._common import UserError

    try:
        scales = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--scales must be whole numbers separated by commas, e.g. 2,3,4; got {text!r}") from None
    if not scales or min(scales) < 1:
        raise UserError(f"--scales must be whole numbers ≥ 1, e.g. 2,3,4; got {text!r}")
    return scales


def _table_line(cells: tuple[object, ...]) -> str:
    widths = (10, 6, 7, 10, 13, 9)
    return "  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def cmd_eval(args: argparse.Namespace) -> int:
    """PSNR of LIIF and bicubic on benchmark sets under the paper's protocols; a table, or JSON lines."""
    import json

    import torch

    from ..learn.eval_data import EvalDataError, find_sets
    from ..learn.evaluate import Skipped, count_jobs, iter_eval, protocol_for
    from ._common import UserError, load_model, progress_bar, say
    from .charts import check_plots, eval_chart, write_plots

    scales = parse_scales(args.scales)
    check_plots(args.plot)
    try:
        sets = find_sets(args.data)
        for bench in sets:
            protocol_for(bench.name, args.protocol)
    except (EvalDataError, ValueError) as exc:
        raise UserError(str(exc)) from None
    for bench in sets:
        if bench.skipped:
            say(f"{bench.name}: skipped {len(bench.skipped)} file(s): {', '.join(bench.skipped)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    model, device = load_model(args)
    if device.type == "cuda":  # TF32 convolutions would move the features by ~1e-3: keep fp32 exact
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    update, close = progress_bar("eval", unit="image")
    total, done, means, skipped = count_jobs(sets, scales), 0, [], []
    start = time.perf_counter()
    if not args.json:
        print(_table_line(("set", "scale", "images", "LIIF (dB)", "bicubic (dB)", "gain (dB)")))
    try:
        for item in iter_eval(model, device, sets, scales, args.protocol):
            if isinstance(item, Skipped):
                skipped.append(item)
            elif item.image == "mean":
                means.append(item.as_json())
                print(json.dumps(item.as_json()) if args.json else _table_line((
                    item.set, f"x{item.scale}", item.count, f"{item.psnr_liif:.2f}", f"{item.psnr_bicubic:.2f}",
                    f"{item.psnr_liif - item.psnr_bicubic:+.2f}")), flush=True)
                continue
            elif args.json:
                print(json.dumps(item.as_json()), flush=True)
            done += 1
            update(done, total)
    finally:
        close()
    for item in skipped:
        say(f"skipped {item.set}/{item.image} at x{item.scale}: {item.reason}")
    if not means:
        raise UserError("no image could be evaluated (see the skipped files above)")
    say(f"evaluated {done - len(skipped)} image-scale pairs in {time.perf_counter() - start:.1f} s on {device}")
    if args.plot:
        write_plots(eval_chart(means), args.plot)
    return 0


def _train_bar(total: int, initial: int) -> tuple[Callable[[int, float], None], Callable[[], None]]:
    """A step progress bar with the running loss (quiet when stderr is not a terminal)."""
    from tqdm import tqdm

    bar = tqdm(desc="train", unit="step", total=total, initial=initial, file=sys.stderr, disable=None, leave=False)

    def update(done: int, loss: float) -> None:
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        bar.update(done - bar.n)

    return update, bar.close


def _saved_train_config(path: Path) -> dict:
    """The ``train_config`` stored in a checkpoint this command wrote ({} when unreadable)."""
    from ..model.checkpoint import CheckpointError, read_checkpoint

    try:
        config = read_checkpoint(path).get("train_config")
    except CheckpointError:
        return {}
    return config if isinstance(config, dict) else {}


def cmd_train(args: argparse.Namespace) -> int:
    """Train or fine-tune LIIF on a folder of images; under torchrun, one rank of a DDP run (rank 0 prints)."""
    import contextlib
    import os

    from ..learn.distributed import DistributedError, from_env
    from ._common import UserError

    try:
        ctx = from_env(args.device)
    except DistributedError as exc:
        raise UserError(str(exc)) from None
    if ctx is None:
        return _train(args, None)
    with contextlib.ExitStack() as stack:
        stack.callback(ctx.close)
        if not ctx.is_main:  # the other ranks run the same code silently
            devnull = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115
            stack.enter_context(contextlib.redirect_stdout(devnull))
            stack.enter_context(contextlib.redirect_stderr(devnull))
        return _train(args, ctx)


def _train(args: argparse.Namespace, ctx: DistContext | None) -> int:
    import torch

    from ..learn import FINETUNE_LR, PatchSampler, TrainConfig, TrainDataError, Trainer, load_images, start_state
    from ..model import CheckpointError, WeightsError, ensure_weights, models_dir, pick_device
    from ._common import UserError, say

    out = Path(args.out) if args.out else models_dir() / f"liif-{Path(args.data).resolve().name}.pth"
    if out.exists() and not args.resume:
        raise UserError(f"{out} exists; pass --resume to continue its training, or choose another --out")
    if args.epochs < 1 or args.batch_size < 1 or args.repeat < 1:
        raise UserError("--epochs, --batch-size and --repeat must be at least 1")
    lr = args.lr
    if lr is None:  # the run's own rate when resuming; the paper's from scratch; a gentler one to fine-tune
        saved = _saved_train_config(out) if out.exists() else {}
        lr = saved.get("lr") or (TrainConfig.lr if args.init == "scratch" else FINETUNE_LR)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, repeat=args.repeat, lr=float(lr),
                         seed=args.seed)
    try:
        data = load_images(args.data, min_side=config.patch)
    except TrainDataError as exc:
        raise UserError(str(exc)) from None
    if data.skipped:
        say(f"skipped {len(data.skipped)} file(s): {', '.join(data.skipped)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = ctx.device if ctx else pick_device(args.device)
        resume = out if out.exists() else None
        init = ensure_weights(say=say) if args.init == "official" and resume is None else args.init
        model, spec, optimizer_state, done = start_state(init, resume, seed=args.seed)
    except (CheckpointError, WeightsError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if done >= config.epochs:
        print(f"{out} has already trained {done} epochs; raise --epochs to go on")
        return 0
    sampler = PatchSampler(data.images, config.patch, config.scale_max, config.sample_q, config.augment)
    trainer = Trainer(model, spec, sampler, config, out, device, optimizer_state, done, dist=ctx)
    steps = trainer.steps_per_epoch()
    what = f"resuming {out} at epoch {done + 1}" if done else ("from scratch" if init == "scratch" else
                                                              f"fine-tuning {init}")
    where = f"{device} x {ctx.world_size} processes ({ctx.backend})" if ctx else str(device)
    say(f"training on {len(data.images)} image(s), {steps} steps/epoch of {config.batch_size} patches, {what}, "
         f"lr {config.lr:g}, on {where}")
    update, close = _train_bar(steps * config.epochs, steps * done)
    start = time.perf_counter()
    try:
        for step in trainer.run():
            update((step.epoch - 1) * steps + step.step, step.loss)
            if step.saved is not None:
                print(f"epoch {step.epoch}/{config.epochs}  loss {step.epoch_loss:.4f}  lr {step.lr:.2e}  "
                      f"saved {step.saved}", flush=True)
    finally:
        close()
    seconds = time.perf_counter() - start
    per_step = seconds / (steps * (config.epochs - done))
    print(f"trained {config.epochs - done} epoch(s) in {seconds:.1f} s ({per_step:.2f} s/step); "
          f"view it with: python main.py view --model {out}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``eval`` and ``train`` on the command parser ``sub``."""
    p = sub.add_parser("eval", help="PSNR of LIIF and bicubic on benchmark sets (the paper's protocols)")
    p.add_argument("--data", required=True, help="a set folder (HR images, optional LR_bicubic/X<s>/) or a folder "
                   "of such sets, e.g. ../shared/benchmarks")
    p.add_argument("--scales", default="2,3,4", help="whole scales, e.g. 2,3,4,6,8,12,18,24,30 (default 2,3,4)")
    p.add_argument("--protocol", default="auto", choices=["auto", "benchmark", "div2k"],
                   help="benchmark: Y channel, shave = scale; div2k: RGB, shave = scale + 6; "
                   "auto: div2k for DIV2K* sets, else benchmark")
    p.add_argument("--json", action="store_true", help="JSON lines per image and per set mean")
    p.add_argument("--plot", action="append", metavar="CHART", help="also draw PSNR against scale per set: .png, "
                   ".svg, or .csv (the curves' data); may be given more than once")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    add_model_options(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("train", help="train or fine-tune LIIF on a folder of images (self-supervised)")
    p.add_argument("--data", required=True, help="folder of images (any size ≥ 48 px; not recursive)")
    p.add_argument("--init", default="official",
                   help="official (fine-tune the official weights), scratch, or a LIIF checkpoint path")
    p.add_argument("--epochs", type=int, default=100, help="epochs to reach (default 100); lr halves every 20 %%")
    p.add_argument("--out", help="checkpoint to write after every epoch (default models/liif-<folder>.pth)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument("--batch-size", type=int, default=16, help="patches per step (default 16)")
    p.add_argument("--repeat", type=int, default=20, help="patches per image per epoch (default 20)")
    p.add_argument("--lr", type=float, help="Adam learning rate (default 1e-4 from scratch, 1e-5 to fine-tune, "
                   "the saved one to resume)")
    p.add_argument("--seed", type=int, default=0, help="random seed (patches, scratch weights)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.set_defaults(func=cmd_train)
