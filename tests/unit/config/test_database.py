"""One database, one engine: every store of a process opened on a URL shares one engine (one
pool, the same SQLite pragmas), a store's close leaves the others working, and every table is
declared on the one ``metadata`` (no model is loaded)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from config.database import Database, metadata
from config.rules.store import RuleStore
from dialog.routing.evaluate import load_routing_rules
from dialog.tools.audit import ToolAudit
from knowledge.store import KnowledgeBase
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore
from telephony.web.auth import SessionStore


def _stores(database: Database | str):
    sessions = SessionStore(database.url if isinstance(database, Database) else database)
    return [Records(database), HandoffStore(database), RuleStore(database, load_routing_rules),
            ToolAudit(database), KnowledgeBase(database, encoder=None),  # type: ignore[arg-type]
            sessions]


def test_the_stores_on_one_url_share_one_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    stores = _stores(url)
    engine = stores[0].engine
    assert all(store.engine is engine for store in stores)
    assert Database.shared(url).engine is engine
    # every store's tables, created in the one file through the one path
    assert {"calls", "handoffs", "rule_versions", "tool_audit", "kb_documents",
            "signin_sessions"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:  # the pragmas of every SQLite connection, as before
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    for store in stores:
        store.close()


def test_a_store_closing_leaves_the_engine_to_the_others(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    records, handoffs = Records(url), HandoffStore(url)
    pool = records.engine.pool
    records.close()
    assert handoffs.engine.pool is pool  # not disposed: the handoffs still hold it
    assert handoffs.get("nothing") is None
    handoffs.close()
    assert handoffs.engine.pool is not pool  # the last one out disposed it
    again = Records(url)  # a later store opens the URL afresh
    assert again.engine is not records.engine and again.ping()
    again.close()


def test_the_composition_root_passes_its_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runtime.db'}"
    database = Database.attach(url)  # as telephony.runtime does
    records = Records(database)
    assert records.database is database and records.engine is database.engine
    by_url = HandoffStore(url)  # the CLI, the desk pages: same engine through the cache
    assert by_url.engine is database.engine
    assert database.users == 3
    records.close()
    by_url.close()
    assert database.users == 1 and Database.shared(url) is database
    database.detach()
    assert database.users == 0 and Database.shared(url) is not database


def test_every_table_is_on_the_one_metadata() -> None:
    from dialog.business.store import TABLES as BUSINESS
    from knowledge.schema import TABLES as KNOWLEDGE

    for table in (*BUSINESS, *KNOWLEDGE, *_tables_of_the_stores()):
        assert table.metadata is metadata, table.name


def _tables_of_the_stores():
    from config.rules.store import TABLES as RULES
    from dialog.tools.audit import tool_audit
    from telephony.records.store import TABLES as RECORDS
    from telephony.transfer.handoffs import TABLES as HANDOFFS
    from telephony.web.auth import signin_sessions

    return (*RULES, tool_audit, *RECORDS, *HANDOFFS, signin_sessions)
