"""The ``bench`` command: the engine's speed and memory on this machine."""

from __future__ import annotations

import argparse

from ._common import add_model_options, load_model, say

__all__ = ["add_parsers", "cmd_bench"]


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the engine on this machine; print a table, and JSON lines with --json."""
    import json

    import torch

    from ..tasks.bench import run_bench
    from .charts import bench_chart, check_plots, write_plots

    check_plots(args.plot, (".png", ".svg"))
    if args.threads:
        torch.set_num_threads(args.threads)
    model, device = load_model(args)
    result = run_bench(model, device, repeats=args.repeats, big_photo=not args.no_big, say=say)
    rows = [(k, v) for k, v in result.items()]
    if args.json:
        for key, value in rows:
            print(json.dumps({"metric": key, "value": value}))
        print(json.dumps(result))
    else:
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    if args.plot:
        write_plots(bench_chart(result), args.plot)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the bench command."""
    p = sub.add_parser("bench", help="measure speed and memory of the render engine on this machine")
    p.add_argument("--json", action="store_true", help="JSON lines; the last line is one object with every key")
    p.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    p.add_argument("--no-big", action="store_true", help="skip the 12 MP photo probe")
    p.add_argument("--plot", action="append", metavar="CHART",
                   help="also draw query px/s per mode and the speed-up per zoom: .png or .svg (repeatable)")
    add_model_options(p)
    p.set_defaults(func=cmd_bench)
