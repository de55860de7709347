"""`frontdesk init DIR --template T` and `frontdesk check DIR`: write a business pack from a
template, and validate one whole (every problem with its file and line)."""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib.resources import as_file, files
from pathlib import Path

from config import Settings

__all__ = ["TEMPLATES", "add_pack_commands", "check_pack_command", "init_pack_command"]

# blank: a business to fill in; bikeshop: a whole one on its own HTTP systems; hotel, support:
# the samples, on their demonstration backends (demo mode only, until tools.yaml is replaced).
TEMPLATES = ("blank", "bikeshop", "hotel", "support")
DEMO_TEMPLATES = ("hotel", "support")


def _template(name: str):
    return files("config") / "data" / "packs" / name


def init_pack_command(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if folder.exists() and any(folder.iterdir()):
        print(f"frontdesk init: {folder} is not empty; give a new folder", file=sys.stderr)
        return 1
    with as_file(_template(args.template)) as source:
        shutil.copytree(source, folder, dirs_exist_ok=True)
    demo = " --demo" if args.template in DEMO_TEMPLATES else ""
    print(f"wrote the {args.template} pack to {folder}\n"
          f"  check it:  frontdesk check {folder}{demo}\n"
          f"  run it:    FRONTDESK_BUSINESS={folder} frontdesk serve{demo}")
    if demo:
        print(f"  It runs on the {args.template} demonstration backend (sample customers) "
              f"until its tools.yaml names your own systems' tools.")
    return 0


def check_pack_command(args: argparse.Namespace, settings: Settings) -> int:
    from config.intents import load_intents
    from config.pack import PackError
    from dialog.pack import load_business

    try:
        pack = load_business(args.dir, catalogue=load_intents(settings.dialog.intents_file),
                             demo=args.demo or settings.demo)
    except PackError as e:
        count = len(e.problems)
        print(f"{args.dir}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    own = [i for i in pack.catalogue.intents if pack.kind in i.businesses]
    documents = [p for folder in pack.knowledge for p in folder.rglob("*") if p.is_file()]
    print(f"{args.dir}: ok: {pack.rules.business.name} ({pack.kind}), languages "
          f"{', '.join(pack.rules.business.languages)}; {len(own)} intents, {len(pack.tools)} "
          f"tools, {len(pack.tasks.tasks)} tasks, {len(pack.rules.queues)} queues, "
          f"{len(documents)} documents"
          + (f"; on the {pack.demo} demonstration backend (demo mode only)" if pack.demo else ""))
    return 0


def add_pack_commands(sub: argparse._SubParsersAction, check) -> None:
    init = sub.add_parser("init", help="write a business pack from a template")
    init.add_argument("dir", type=Path)
    init.add_argument("--template", choices=TEMPLATES, default="blank")
    init.set_defaults(func=init_pack_command)
    checking = sub.add_parser("check", help="validate a business pack (exit 1: problems, "
                              "each with its file and line)")
    checking.add_argument("dir", type=Path)
    checking.add_argument("--demo", action="store_true",
                          help="as demo mode runs it: a demonstration backend is allowed")
    checking.set_defaults(func=check)
