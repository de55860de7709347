"""A business pack is checked whole: the bike shop template loads, and each way of breaking it
is named with its file and line (``frontdesk check``)."""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

import pytest

from config.pack import PackError
from dialog.pack import load_business, pack_lines, pack_tasks
from telephony.cli.main import main

ENV = {"BIKESHOP_API_URL": "http://127.0.0.1:9"}


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "bikeshop"
    with as_file(files("config") / "data" / "packs" / "bikeshop") as source:
        shutil.copytree(source, folder)
    return folder


def test_the_bike_shop_template_is_a_whole_business(pack: Path) -> None:
    loaded = load_business(pack, environ=ENV)
    assert loaded.kind == "bikeshop" and loaded.rules.business.languages == ["en", "es"]
    assert [t.name for t in loaded.tools] == ["find_customer", "verify_customer", "get_repair",
                                              "move_pickup"]
    assert all(t.businesses == ["bikeshop"] for t in loaded.tools)
    assert [t.url for t in loaded.tools][2] == "http://127.0.0.1:9/repairs/{ticket}"
    own = [i.name for i in loaded.catalogue.intents if "bikeshop" in i.businesses]
    assert own == ["repair_status", "move_pickup"]
    tasks = pack_tasks(loaded)
    assert set(tasks) == {"repair_status", "move_pickup"}
    move = tasks["move_pickup"]
    assert [s.name for s in move.needs] == ["ticket", "pickup_date"]
    assert move.identity is not None and move.identity.slots[0].name == "postal_code"
    assert move.needs[0].parse("it's one two three four five", "en") == "12345"
    assert move.needs[0].parse("one two three", "en") is None  # five digits, no fewer
    assert not move.needs[0].private
    tasks_file = pack / "tasks.yaml"
    tasks_file.write_text(tasks_file.read_text().replace("    digits: 5\n",
                                                         "    digits: 5\n    private: true\n"))
    assert pack_tasks(load_business(pack, environ=ENV))["move_pickup"].needs[0].private
    lines = pack_lines(loaded)
    assert lines["slot:ticket"]["es"].startswith("¿Cuál es el número")
    assert "{bike}" in lines["task:repair_status:done"]["en"]
    assert loaded.knowledge == (pack / "knowledge",)


# (file, text replaced, replacement, text on the line the problem names, what it says)
BREAKS = [
    ("tasks.yaml", "tool: get_repair\n", "tool: get_repairs\n", "tool: get_repairs",
     "unknown tool 'get_repairs'"),
    ("tools.yaml", '/repairs/{ticket}"', '/repairs/{ticket!r}"', '/repairs/{ticket!r}"',
     "bad placeholder"),
    ("tools.yaml", "/customers/{candidate_id}/verify", "/customers/{customer}/verify",
     "- name: verify_customer", "not declared in parameters"),
    ("tasks.yaml", "    parse: number\n", "", "  ticket:", "parse: required"),
    ("tasks.yaml", "      es: ¿Qué día le gustaría recogerla?\n", "", "    ask:\n      en: Which",
     "no line in es"),
    ("business.yaml", "then: {action: transfer, queue: workshop, priority: 3}",
     "then: {action: transfer, queue: workshp, priority: 3}", "queue: workshp",
     "unknown queue 'workshp'"),
    ("tasks.yaml", 'args: {ticket: "{ticket}"}', 'args: {ticket: "{tickt}"}', "{tickt}",
     "{tickt} is not a value of this task"),
    ("tools.yaml", "    owner_from: get_repair\n", "", "    tier: write",
     "needs owner_from or owner_field"),
    ("intents.yaml", "task: move_pickup", "task: move_pick", "task: move_pick",
     "unknown task 'move_pick'"),
    ("tasks.yaml", "    parse: date\n", "    parse: calendar\n", "parse: calendar",
     "Input should be 'number'"),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "message"), BREAKS,
                         ids=[b[4][:30] for b in BREAKS])
def test_each_problem_is_named_with_its_file_and_line(pack: Path, name: str, old: str,
                                                      new: str, marker: str,
                                                      message: str) -> None:
    path = pack / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    line = text[:text.index(marker)].count("\n") + 1  # where the marker starts
    with pytest.raises(PackError) as error:
        load_business(pack, environ=ENV)
    found = [p for p in error.value.problems if message in str(p)]
    assert found, [str(p) for p in error.value.problems]
    assert found[0].source == str(path) and found[0].line == line, str(found[0])


def test_a_missing_variable_a_bad_phrase_and_bad_yaml_are_named_too(pack: Path) -> None:
    (pack / "phrases").mkdir()
    (pack / "phrases" / "en.yaml").write_text("anything_else_q: Anything else?\n"
                                              "no_such_line: Hello\n", encoding="utf-8")
    (pack / "phrases" / "de.yaml").write_text("anything_else_q: Sonst noch etwas?\n",
                                              encoding="utf-8")
    with pytest.raises(PackError) as error:
        load_business(pack, environ={})
    said = [str(p) for p in error.value.problems]
    assert f"{pack}/tools.yaml line 6: tools[0].url: environment variable BIKESHOP_API_URL " \
        "is not set" in said
    assert any(s.startswith(f"{pack}/phrases/de.yaml: 'de' is not a language") for s in said)
    (pack / "intents.yaml").write_text("intents:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PackError) as error:
        load_business(pack, environ=ENV)
    said = [str(p) for p in error.value.problems]
    assert any(s.startswith(f"{pack}/intents.yaml line 3: not valid YAML") for s in said), said
    (pack / "phrases" / "de.yaml").unlink()
    (pack / "intents.yaml").unlink()
    with pytest.raises(PackError) as error:
        load_business(pack, environ=ENV)
    said = [str(p) for p in error.value.problems]
    assert f"{pack}/phrases/en.yaml line 2: no_such_line: not a stock line (they are in " \
        "dialog/phrases/data/en.yaml)" in said, said
    # With no intents.yaml, the tasks are started by nothing.
    assert f"{pack}/tasks.yaml line 38: tasks.repair_status: no intent in intents.yaml " \
        "starts this task" in said, said


def test_settings_take_the_packs_business_not_the_samples(pack: Path) -> None:
    from config import DialogSettings, Settings

    settings = Settings(business=pack)
    assert (settings.dialog.business, settings.dialog.business_name) == (
        "bikeshop", "Spoke and Chain Cycles")
    assert "Harbor View" not in settings.dialog.greeting
    named = Settings(business=pack, dialog=DialogSettings(business_name="Spoke & Chain"))
    assert named.dialog.business_name == "Spoke & Chain"


def test_init_writes_a_pack_that_check_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BIKESHOP_API_URL", "http://127.0.0.1:9")
    for template in ("blank", "bikeshop"):
        folder = tmp_path / template
        assert main(["init", str(folder), "--template", template]) == 0
        assert main(["check", str(folder)]) == 0
        assert f"{folder}: ok:" in capsys.readouterr().out
    assert main(["init", str(tmp_path / "blank")]) == 1  # not over an existing pack
    (tmp_path / "bikeshop" / "business.yaml").write_text(
        (tmp_path / "bikeshop" / "business.yaml").read_text().replace("America/Chicago",
                                                                       "Mars/Olympus"))
    assert main(["check", str(tmp_path / "bikeshop")]) == 1
    err = capsys.readouterr().err
    assert "1 problem" in err and "business.yaml line 9: business.timezone" in err, err


def test_the_samples_are_packs_on_their_demonstration_backends(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from config.intents import sample_pack

    hotel = load_business(sample_pack("hotel"), demo=True)
    assert (hotel.kind, hotel.demo, hotel.tools) == ("hotel", "hotel", ())
    assert {"check_in", "late_checkout", "folio"} <= {
        i.name for i in hotel.catalogue.intents if "hotel" in i.businesses}
    assert not [i for i in hotel.catalogue.intents if "support" in i.businesses]
    assert {"check_in", "late_checkout", "order_status"} <= set(pack_tasks(hotel))
    assert sorted(p.name for p in hotel.knowledge[0].iterdir()) == [
        "hotel.de.md", "hotel.es.md", "hotel.fr.md", "hotel.md"]
    support = load_business(sample_pack("support"), demo=True)
    assert (support.kind, support.demo, support.rules.business.name) == (
        "support", "support", "Northwind Electronics")
    for template in ("hotel", "support"):
        folder = tmp_path / template
        assert main(["init", str(folder), "--template", template]) == 0
        assert f"frontdesk check {folder} --demo" in capsys.readouterr().out
        assert main(["check", str(folder), "--demo"]) == 0
        assert f"on the {template} demonstration backend" in capsys.readouterr().out


def test_a_demonstration_backend_runs_only_in_demo_mode(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "hotel"
    assert main(["init", str(folder), "--template", "hotel"]) == 0
    tools = folder / "tools.yaml"
    line = tools.read_text().splitlines().index("demo: hotel") + 1
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "1 problem" in err and f"{tools} line {line}: demo: the hotel demonstration " \
        "backend (sample customers, seeded into the database) runs only in demo mode" in err, err
    # serve refuses it the same way, with one line and exit 2, before any model is loaded
    assert main(["serve", "--business", str(folder)]) == 2
    assert "runs only in demo mode" in capsys.readouterr().err
    # a backend that does not exist, or serves another kind of business
    tools.write_text(tools.read_text().replace("demo: hotel", "demo: casino"))
    with pytest.raises(PackError, match="no demonstration backend 'casino' \\(there are: "
                                        "hotel, support\\)"):
        load_business(folder, demo=True)
    tools.write_text(tools.read_text().replace("demo: casino", "demo: support"))
    with pytest.raises(PackError) as error:
        load_business(folder, demo=True)
    said = [str(p) for p in error.value.problems]
    assert f"{tools} line {line}: demo: the support demonstration backend serves the business " \
        "kind 'support', and business.yaml's kind is 'hotel'" in said, said
