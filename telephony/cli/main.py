"""`frontdesk` command line: serve, init, check, models, call, bench, try, kb, routes, report,
hash-password.

Settings come from the environment (``FRONTDESK_...``) and, under it, from a ``.env`` file in
the working directory (or ``--env-file``); a variable set in the environment wins over the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from loguru import logger
from pydantic import ValidationError

from config import Settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "dev", False):
        overrides["dev_insecure_skip_signature"] = True
    if getattr(args, "pack", None) is not None:
        overrides["business"] = args.pack
    if getattr(args, "demo", False):
        overrides["demo"] = True
    env_file = getattr(args, "env_file", None)
    if env_file is not None and not env_file.is_file():
        raise SettingsFileError(f"--env-file {env_file}: no such file")
    return Settings(_env_file=env_file or ".env", **overrides)  # type: ignore[call-arg]


class SettingsFileError(Exception):
    """The settings file named on the command line is not there."""


def setting_errors(exc: ValidationError) -> str:
    """A settings validation error as one line, each problem named by its variable:
    ``FRONTDESK_STT__BEAM_SIZE=99: Input should be less than or equal to 10``."""
    problems = []
    for error in exc.errors():
        if not error["loc"]:  # a check of the settings together (a business pack's folder)
            problems.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        name = "FRONTDESK_" + "__".join(str(part).upper() for part in error["loc"])
        value = error.get("input")
        shown = f"={value}" if isinstance(value, str | int | float) and error["loc"] else ""
        if "SECRET" in name or "TOKEN" in name or "PASSWORD" in name:
            shown = ""  # never echo a secret
        problems.append(f"{name}{shown}: {error['msg']}")
    return "; ".join(problems)


def _missing_models(settings: Settings) -> str | None:
    """One line naming the models ``serve`` needs that are not installed, or None (espeak-ng
    is not needed: without it a language with no voice speaks English, with a warning)."""
    from voice.models import describe_models

    missing = [i for i in describe_models(settings) if not i.present and i.role != "tts-fallback"]
    if not missing:
        return None
    where = settings.resolved_models_dir
    follows = ("" if settings.models_dir != settings.data_dir / "models" else
               " (the models directory is <data dir>/models unless FRONTDESK_MODELS_DIR is set)")
    return (f"models missing: {', '.join(f'{i.name} ({i.path})' for i in missing)}; run "
            f"`frontdesk models install` to put them in {where}{follows}, or point "
            "FRONTDESK_MODELS_DIR at an installed models directory")


def _serve(args: argparse.Namespace) -> int:
    from telephony.logs import configure_logging

    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format)  # before pipecat's first line
    from telephony.tracing import configure_tracing

    if configure_tracing(settings.tracing):
        print(f"frontdesk serve: traces go to {settings.tracing.otlp_endpoint}", file=sys.stderr)
    import uvicorn

    from telephony.app import create_app
    from telephony.drain import DrainingServer

    if settings.business is None and not settings.demo:
        print("frontdesk serve: no business to run: set FRONTDESK_BUSINESS (or --business) to "
              "your business pack (frontdesk init DIR writes one), or FRONTDESK_DEMO=true (or "
              "--demo) for a sample business with its demonstration data", file=sys.stderr)
        return 2
    if settings.business is not None:
        from config.pack import PackError
        from dialog.loader import business_pack

        try:
            business_pack(settings)
        except PackError as e:
            more = f"; {len(e.problems) - 1} more: frontdesk check lists them all" \
                if len(e.problems) > 1 else ""
            print(f"frontdesk serve: the business pack {settings.business} cannot run: "
                  f"{e.problems[0]}{more}", file=sys.stderr)
            return 2
    if (missing := _missing_models(settings)) is not None:
        print(f"frontdesk serve: {missing}", file=sys.stderr)
        return 2
    app = create_app(settings)
    server = DrainingServer(uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None,
        ws_max_size=settings.stream.max_message_bytes, log_level=settings.log_level.lower(),
        proxy_headers=settings.trust_proxy_headers,
        forwarded_allow_ips=settings.forwarded_allow_ips, lifespan="on",
    ), state=app.state, drain_seconds=settings.drain_seconds)
    logger.info(f"frontdesk listening on http://{settings.host}:{settings.port} "
                "(webhook POST /twilio/voice, stream WS /twilio/stream)")
    server.run()
    return 0


def _models(args: argparse.Namespace) -> int:
    from voice.models import describe_models, install_models

    settings = _settings(args)
    if args.action == "install":
        written = install_models(settings.resolved_models_dir)
        print(f"installed: {', '.join(written) or 'nothing to do, all present'} "
              f"into {settings.resolved_models_dir}")
        return 0
    infos = describe_models(settings, check_load=not args.no_load)
    if args.json:
        print(json.dumps([{**asdict(i), "path": str(i.path)} for i in infos], indent=2))
    else:
        for info in infos:
            status = "ok" if info.loads else ("present" if info.present else "MISSING")
            if info.loads is False:
                status = f"FAILS: {info.error}"
            print(f"{info.name:24} {info.role:28} {info.size_bytes / 1e6:8.1f} MB  "
                  f"{status:10} {info.path}")
    return 0 if all(i.present and i.loads is not False for i in infos) else 1


def _call(args: argparse.Namespace) -> int:
    from telephony.cli.call_command import run_call_command

    return asyncio.run(run_call_command(args, _settings(args)))


def _bench(args: argparse.Namespace) -> int:
    from telephony.cli.bench import run_bench_command

    return asyncio.run(run_bench_command(args, _settings(args)))


def _kb(args: argparse.Namespace) -> int:
    from knowledge.commands import ingest_command, search_command
    from knowledge.encoder import SentenceEncoder, default_model_path

    settings = _settings(args)
    encoder = SentenceEncoder(default_model_path(settings.resolved_models_dir))
    if args.action == "ingest":
        try:
            out = ingest_command(settings.database_url, encoder, args.paths, prune=args.prune)
        except ValueError as exc:
            print(f"frontdesk kb ingest: {exc}", file=sys.stderr)
            return 1
    else:
        out = search_command(settings.database_url, encoder, " ".join(args.paths), k=args.k,
                             source=args.source, language=args.language)
    if args.json or args.action == "ingest":
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        for hit in out["results"]:
            print(f"{hit['score']:.3f}  {hit['id']}  ({hit['language']})\n       {hit['answer']}")
    return 0


def _routes(args: argparse.Namespace) -> int:
    from config.rules import RulesError
    from dialog.routing.commands import (
        LabelsError,
        check_command,
        eval_command,
        format_check,
        format_eval,
    )

    settings = _settings(args)
    if args.action == "check":
        from config.intents import load_intents, sample_intents

        catalogue = sample_intents(load_intents(settings.dialog.intents_file))
        report = check_command(args.file, catalogue=catalogue, http_tools=settings.http_tools)
        out = json.dumps(report, ensure_ascii=False, indent=2) if args.json else (
            format_check(report))
        print(out, file=sys.stdout if report["ok"] or args.json else sys.stderr)
        return 0 if report["ok"] else 1
    from knowledge.encoder import SentenceEncoder, default_model_path

    encoder = SentenceEncoder(default_model_path(settings.resolved_models_dir))
    try:
        report = eval_command(args.labels, encoder, rules_path=args.rules,
                              intents_file=settings.dialog.intents_file,
                              http_tools=settings.http_tools)
    except (LabelsError, RulesError) as exc:
        print(f"frontdesk routes eval: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_eval(report))
    return 0 if args.min_accuracy is None or report["accuracy"] >= args.min_accuracy else 1


def _report(args: argparse.Namespace) -> int:
    from telephony.cli.report_command import run_report_command

    return run_report_command(args, _settings(args))


def _check(args: argparse.Namespace) -> int:
    from telephony.cli.pack_commands import check_pack_command

    return check_pack_command(args, _settings(args))


def _try(args: argparse.Namespace) -> int:
    from telephony.cli.try_turn import run_try_command

    return asyncio.run(run_try_command(args, _settings(args)))


def _hash_password(args: argparse.Namespace) -> int:
    import getpass

    from telephony.web.passwords import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("frontdesk hash-password: the two passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("frontdesk hash-password: empty password", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description=__doc__)
    parser.add_argument("--env-file", type=Path, default=None,
                        help="settings file read under the environment (default: ./.env if any)")
    sub = parser.add_subparsers(dest="command", required=True)
    hashing = sub.add_parser(
        "hash-password", help="print an argon2id hash of a password (from the terminal or "
        "stdin) for FRONTDESK_DESK__AGENTS / FRONTDESK_ADMIN__USERS")
    hashing.set_defaults(func=_hash_password)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--dev", action="store_true",
                       help="DEVELOPMENT ONLY: skip Twilio signature checks (simulated calls)")
    serve.add_argument("--business", type=Path, dest="pack",
                       help="the business pack to run (FRONTDESK_BUSINESS)")
    serve.add_argument("--demo", action="store_true",
                       help="no pack: run a sample business (FRONTDESK_DIALOG__BUSINESS) with "
                       "its demonstration data (FRONTDESK_DEMO)")
    serve.set_defaults(func=_serve)

    from telephony.cli.pack_commands import add_pack_commands

    add_pack_commands(sub, _check)

    models = sub.add_parser("models", help="list the models (or install the assembled ones)")
    models.add_argument("action", nargs="?", choices=["list", "install"], default="list")
    models.add_argument("--json", action="store_true")
    models.add_argument("--no-load", action="store_true", help="do not try loading each model")
    models.set_defaults(func=_models)

    from telephony.cli.bench import add_bench_arguments
    from telephony.cli.call_command import add_call_arguments

    call = sub.add_parser("call", help="place a simulated Twilio call to a running server")
    add_call_arguments(call)
    call.set_defaults(func=_call)

    bench = sub.add_parser("bench", help="measure latency and concurrency with simulated calls")
    add_bench_arguments(bench)
    bench.set_defaults(func=_bench)

    kb = sub.add_parser("kb", help="knowledge base: ingest files/folders, search")
    kb.add_argument("action", choices=["ingest", "search"])
    kb.add_argument("paths", nargs="+", help="files or folders (ingest), or the question (search)")
    kb.add_argument("--prune", action="store_true",
                    help="ingest: remove stored documents not among PATHS")
    kb.add_argument("--k", type=int, default=3)
    kb.add_argument("--source", help="search: only this document")
    kb.add_argument("--language", help="search: only passages in this language")
    kb.add_argument("--json", action="store_true")
    kb.set_defaults(func=_kb)

    routes = sub.add_parser("routes", help="routing rules: check a file, evaluate on labels")
    routes_sub = routes.add_subparsers(dest="action", required=True)
    check = routes_sub.add_parser("check", help="validate a rules file offline (exit 1: invalid)")
    check.add_argument("file", type=Path)
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_routes)
    evaluate = routes_sub.add_parser(
        "eval", help="replay labeled calls through a rules version; accuracy and disagreements")
    evaluate.add_argument("--labels", type=Path, required=True, help="labeled calls (YAML)")
    evaluate.add_argument("--rules", type=Path,
                          help="rules file (default: the bundled one of the labels' business)")
    evaluate.add_argument("--min-accuracy", type=float,
                          help="exit 1 when the accuracy is below this (for CI)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=_routes)

    report = sub.add_parser("report", help="KPIs of the calls in a period (outcomes, "
                            "containment, transfers, handle time, latency...)")
    report.add_argument("--since", default="7d",
                        help="start: a date or time (2026-12-01, 2026-12-01T09:00, UTC) or an "
                        "age (7d, 12h); default 7d")
    report.add_argument("--until", default=None, help="end, as --since (default: now)")
    report.add_argument("--queue", default="",
                        help="only the calls sent to this queue (last): the queue's KPIs")
    report.add_argument("--json", action="store_true")
    report.set_defaults(func=_report)

    from telephony.cli.try_turn import add_try_arguments

    try_ = sub.add_parser("try", help="one dialog turn without audio (JSON with --json)")
    add_try_arguments(try_)
    try_.set_defaults(func=_try)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as exc:
        print(f"frontdesk: invalid settings: {setting_errors(exc)}", file=sys.stderr)
        return 2
    except SettingsFileError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
