"""``python -m gemini_live_interrupt``: the command line, ``demo`` (``_demo.py``) and ``probe``
(``_probe.py``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys

from gemini_live_interrupt._demo import (
    DEMO_MODEL,
    LIVE_MODEL,
    MAX_SPEED,
    POLICY_HELP,
    demo,
    parse_policy,
)
from gemini_live_interrupt._printer import Printer, stdout_to_devnull

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gemini-live-interrupt",
                                 description="Interruption handling for the Gemini Live API.")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="a scripted barge-in, offline by default",
                       description="A scripted voice conversation in which the user talks over "
                       "the model; prints each event as it happens: the barge-in and what the "
                       "user had heard, the note sent and by which channel, the late "
                       "transcription of the user's words, the model's answers. Offline by "
                       "default: no API key, no network.")
    d.add_argument("--policy", default="auto", help=POLICY_HELP + " (default: %(default)s)")
    d.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="play the same barge-in under two policies and compare them "
                   "(e.g. --compare context_update client_content)")
    d.add_argument("--speed", type=float, default=4.0,
                   help=f"times faster than real time, offline, at most {MAX_SPEED:g} "
                   "(default: %(default)s)")
    d.add_argument("--seed", type=int, default=1,
                   help="seed for the barge-in moment and the service's timing "
                   "(default: %(default)s)")
    d.add_argument("--full-note", action="store_true",
                   help="print the whole note, not only the lines about this barge-in")
    d.add_argument("--json", action="store_true", help="machine-readable events, one per line")
    d.add_argument("--no-color", action="store_true", help="plain output (also: NO_COLOR set)")
    d.add_argument("--live", action="store_true",
                   help="the real Gemini Live API (needs GEMINI_API_KEY)")
    pr = sub.add_parser("probe", help="how a model takes each note channel, measured",
                        description="Plays a scripted barge-in with each channel in turn and "
                        "reports per channel: accepted or closed, whether a reply followed the "
                        "note, the time to the next model audio (docs/policies.md). Offline by "
                        "default.")
    pr.add_argument("--live", action="store_true",
                    help="the real Gemini Live API (needs GEMINI_API_KEY)")
    pr.add_argument("--model", help="the model to probe (default: the demo's model)")
    pr.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m gemini_live_interrupt`` and ``gemini-live-interrupt``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when the conversation ran and its barge-in was recorded (the summary says whether a
        note was sent, and why not), 1 when no barge-in happened, 2 for a usage error (bad
        option, ``--live`` without ``GEMINI_API_KEY``, missing extra), 3 when the real service
        failed (``--live``: no network, a bad key), 130 on Ctrl-C and 141 when the output's
        reader went away (``| head``).
    """
    ap = _build_parser()
    args = ap.parse_args(argv)
    if args.command == "probe":
        from gemini_live_interrupt._probe import cli

        return cli(live=args.live, model=args.model, json_path=args.json,
                   default_live_model=LIVE_MODEL, default_offline_model=DEMO_MODEL)
    if not 0 < args.speed <= MAX_SPEED:
        ap.error(f"--speed must be above 0 and at most {MAX_SPEED:g} (faster, the simulation "
                 "cannot keep its timing)")
    if args.compare and args.policy != "auto":
        ap.error("--compare A B sets the policies: leave out --policy")
    for spec, option in ([(s, "--compare") for s in args.compare] if args.compare
                         else [(args.policy, "--policy")]):
        try:
            parse_policy(spec)
        except (TypeError, ValueError) as exc:
            ap.error(f"{option}: {exc}")
    color = not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((80, 24)).columns
    printer = Printer(color=color, as_json=args.json, progress=sys.stderr.isatty(), width=width)
    try:
        return asyncio.run(demo(args, printer))
    except (BrokenPipeError, asyncio.CancelledError):
        if not printer.broken and not isinstance(sys.exc_info()[1], BrokenPipeError):
            raise
        stdout_to_devnull()
        return 141  # 128 + SIGPIPE, as a shell reports a program its pipe's reader left
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
