"""Intents as configuration: the YAML file's validation, and the classifier's accuracy and speed
on a labeled set of caller utterances (tests/data/intent_utterances.yaml)."""

from __future__ import annotations

import copy
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from testpaths import DATA

from config.intents import (
    BUSINESSES,
    IntentsError,
    IntentSet,
    bundled_intents_file,
    load_intents,
    normalise,
    sample_intents,
)
from dialog.understanding import intents as constants
from dialog.understanding.classifier import Intent, IntentClassifier, is_noise
from knowledge.encoder import SentenceEncoder

LABELED = DATA / "intent_utterances.yaml"
LANGUAGES = ("en", "es", "fr", "de")
MIN_ACCURACY = 0.90  # overall
MIN_LANGUAGE_ACCURACY = 0.85  # no language may fall far behind the others
MAX_CLASSIFY_SECONDS = 0.050


def labeled() -> list[tuple[str, str, str, str]]:
    """(business, intent, language, utterance) for every labeled utterance."""
    data = yaml.safe_load(LABELED.read_text(encoding="utf-8"))
    return [
        (business, intent, language, text)
        for business, per_intent in data.items()
        for intent, per_language in per_intent.items()
        for language, texts in per_language.items()
        for text in texts
    ]


@pytest.fixture(scope="module")
def classifiers(encoder: SentenceEncoder) -> dict[str, IntentClassifier]:
    return {business: IntentClassifier.for_encoder(encoder, None, business)
            for business in BUSINESSES}


# -- the labeled set ---------------------------------------------------------------------------


def test_labeled_set_covers_every_intent_and_language() -> None:
    items = labeled()
    assert len(items) >= 150
    intents = sample_intents()
    for business in BUSINESSES:
        names = {intent.name for intent in intents.for_business(business)}
        used = {intent for b, intent, _, _ in items if b == business}
        assert used == names, f"{business}: labels {used ^ names} differ from its intents"
        languages = {language for b, _, language, _ in items if b == business}
        assert languages == set(LANGUAGES)


def test_labeled_set_is_not_copied_from_the_examples() -> None:
    intents = sample_intents()
    phrases = {normalise(p) for i in intents.intents for p in i.all_examples() + i.all_keywords()}
    copied = [text for _, _, _, text in labeled() if normalise(text) in phrases]
    assert not copied, f"labeled utterances copied from the intents file: {copied}"


def test_accuracy_on_the_labeled_set(classifiers: dict[str, IntentClassifier]) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # key -> [right, total]
    misses = []
    for business, expected, language, text in labeled():
        got = classifiers[business].classify(text)
        right = got.name == expected
        for key in ("overall", language, business):
            counts[key][0] += right
            counts[key][1] += 1
        if not right:
            misses.append(f"  {business}/{language}: {text!r} is {expected}, "
                          f"got {got.name} ({got.score:.2f})")
    accuracy = {key: right / total for key, (right, total) in counts.items()}
    report = "intent accuracy: " + ", ".join(
        f"{key} {accuracy[key]:.3f} ({counts[key][0]}/{counts[key][1]})"
        for key in ("overall", *LANGUAGES, *BUSINESSES)
    )
    report += "\nmisclassified:\n" + "\n".join(misses)
    print(report)
    assert accuracy["overall"] >= MIN_ACCURACY, report
    assert all(accuracy[language] >= MIN_LANGUAGE_ACCURACY for language in LANGUAGES), report


def test_classify_is_fast(classifiers: dict[str, IntentClassifier]) -> None:
    texts = [text for _, _, _, text in labeled()][:60]
    classifier = classifiers["hotel"]
    classifier.classify(texts[0])  # warm up
    seconds = []
    for text in texts:
        start = time.perf_counter()
        classifier.classify(text)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(f"classify: median {median * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms")
    assert median < MAX_CLASSIFY_SECONDS


# -- the classifier ----------------------------------------------------------------------------


def test_intents_carry_their_action_and_task(classifiers: dict[str, IntentClassifier]) -> None:
    hotel, support = classifiers["hotel"], classifiers["support"]
    check_in = hotel.classify("I'd like to check in, please")
    assert (check_in.name, check_in.action, check_in.task) == ("check_in", "task", "check_in")
    assert 0.5 <= check_in.score <= 1.0
    assert hotel.classify("Agent!") == Intent("human", 1.0, "transfer", None)
    assert hotel.classify("uh, reception please") == Intent("human", 1.0, "transfer", None)
    order = support.classify("where is my order")
    assert (order.name, order.action, order.task) == ("order_status", "task", "order_status")
    assert support.classify("what's the weather like tomorrow").action == "decline"


def test_each_business_knows_only_its_own_and_the_shared_intents(
    classifiers: dict[str, IntentClassifier],
) -> None:
    hotel = {d.name for d in classifiers["hotel"].defs}
    support = {d.name for d in classifiers["support"].defs}
    shared = {"human", "goodbye", "thanks", "question", "chatter", "off_topic"}
    assert shared <= hotel & support
    assert {"check_in", "folio"} <= hotel - support
    assert {"order_status", "refund"} <= support - hotel
    assert set(classifiers["support"].scores("I'd like to check in")) == support


def test_goodbye_said_outright_is_not_softened_to_thanks(
    classifiers: dict[str, IntentClassifier],
) -> None:
    # goodbye and thanks score close together here; "bye" decides.
    assert classifiers["hotel"].classify("thanks bye").name == "goodbye"
    assert classifiers["hotel"].classify("thank you so much").name == "thanks"


def test_an_intent_threshold_overrides_the_default(
    encoder: SentenceEncoder, classifiers: dict[str, IntentClassifier]
) -> None:
    catalogue = sample_intents()
    intents = [i.model_copy(update={"threshold": 0.99}) if i.name == "check_in" else i
               for i in catalogue.intents]
    strict = IntentClassifier(encoder, catalogue.model_copy(update={"intents": intents}),
                              "hotel")
    text = "I'd like to check in for tonight"
    assert classifiers["hotel"].classify(text).name == "check_in"
    assert strict.classify(text).action == "counterweight"


def test_classifiers_are_shared_per_encoder_file_and_business(
    encoder: SentenceEncoder, classifiers: dict[str, IntentClassifier], tmp_path: Path
) -> None:
    assert IntentClassifier.for_encoder(encoder, None, "hotel") is classifiers["hotel"]
    assert IntentClassifier.for_encoder(encoder) is classifiers["hotel"]
    path = tmp_path / "intents.yaml"
    path.write_text(bundled_intents_file().read_text(encoding="utf-8"), encoding="utf-8")
    from_file = IntentClassifier.for_encoder(encoder, path, "support")
    assert from_file is IntentClassifier.for_encoder(encoder, path, "support")
    assert from_file is not classifiers["support"] and from_file.business == "support"
    # A business of its own (a pack with no intents yet) gets the shared intents only.
    shared = IntentClassifier(encoder, None, "casino")
    assert shared.defs and not any(d.businesses for d in shared.defs)


def test_noise_and_normalise() -> None:
    assert normalise("  That's ALL, adiós! ") == "thats all adios"
    assert normalise("Check-in?") == "check in"
    assert all(is_noise(t) for t in ["", "Um...", "You.", "Thank you for watching!"])
    assert not any(is_noise(t) for t in ["thank you", "agent", "yes"])


def test_dialog_constants_come_from_the_bundled_file() -> None:
    bundled = sample_intents()
    assert constants.DEFAULT_INTENTS == bundled
    assert constants.KEYPAD_TOPICS == bundled.keypad_topics("hotel")
    assert list(constants.KEYPAD_TOPICS) == ["1", "2", "3", "4"]
    assert constants.COUNTERWEIGHTS == ("question", "chatter")
    assert constants.PREFERRED_WHEN_CLOSE == {"goodbye": "thanks"}
    assert "no" in constants.NEGATIVE_ANSWERS and "uh" in constants.NOISE_TRANSCRIPTS
    assert "agent" in constants.KEYWORDS[constants.HUMAN]
    for intent in bundled.intents:
        assert set(intent.examples) == set(LANGUAGES), intent.name
        assert len(intent.examples["en"]) >= 7, intent.name
    assert bundled.keypad_topics("support")


# -- validation of the intents file ------------------------------------------------------------


def bundled_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(bundled_intents_file().read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def index_of(data: dict[str, Any], name: str) -> int:
    return next(i for i, intent in enumerate(data["intents"]) if intent["name"] == name)


def load_broken(tmp_path: Path, data: Any) -> str:
    """Write ``data`` as an intents file; return the message of the error loading it."""
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(IntentsError) as error:
        load_intents(path)
    message = str(error.value)
    assert str(path) in message
    return message


def test_bundled_file_is_valid() -> None:
    intents = load_intents(bundled_intents_file())
    assert isinstance(intents, IntentSet) and intents == load_intents()


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    data = bundled_data()
    data["intents"][3]["colour"] = "red"
    message = load_broken(tmp_path, data)
    assert "intents[3] (question).colour" in message and "Extra inputs" in message
    data = bundled_data()
    data["treshold"] = 0.4
    assert "treshold: Extra inputs are not permitted" in load_broken(tmp_path, data)


def test_duplicate_intents_are_refused(tmp_path: Path) -> None:
    data = bundled_data()
    data["intents"].append(copy.deepcopy(data["intents"][0]))
    assert "duplicate intent names: human" in load_broken(tmp_path, data)


def test_english_examples_are_required(tmp_path: Path) -> None:
    data = bundled_data()
    del data["intents"][2]["examples"]["en"]
    message = load_broken(tmp_path, data)
    assert "intents[2] (thanks).examples" in message and "English" in message
    data = bundled_data()
    data["intents"][2]["examples"]["fr"] = []
    assert "intents[2] (thanks).examples: Value error, no examples for fr" in load_broken(
        tmp_path, data
    )


def test_a_task_action_needs_a_task(tmp_path: Path) -> None:
    data = bundled_data()
    at = index_of(data, "thanks")
    data["intents"][at]["action"] = "task"
    message = load_broken(tmp_path, data)
    assert f"intents[{at}] (thanks)" in message and "action 'task' needs a task name" in message
    data = bundled_data()
    data["intents"][0]["task"] = "check_in"
    assert "only for action 'task', not 'transfer'" in load_broken(tmp_path, data)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("examples", "hello", "intents[0] (human).examples: Input should be a valid dictionary"),
        ("examples", {"en": [False]}, "(human).examples.en[0]: Input should be a valid string"),
        ("examples", {"english": ["hi"]}, "intents[0] (human).examples.english.[key]"),
        ("threshold", "high", "intents[0] (human).threshold: Input should be a valid number"),
        ("threshold", 1.5, "intents[0] (human).threshold: Input should be less than or equal"),
        ("businesses", ["Casino!"], "intents[0] (human).businesses[0]: String should match"),
        ("action", "dance", "intents[0] (human).action: Input should be 'answer'"),
        ("name", "Human Desk", "intents[0] (Human Desk).name: String should match pattern"),
    ],
)
def test_wrong_types_name_the_intent_and_field(
    tmp_path: Path, field: str, value: Any, expected: str
) -> None:
    data = bundled_data()
    data["intents"][0][field] = value
    assert expected in load_broken(tmp_path, data)


def test_cross_references_are_checked(tmp_path: Path) -> None:
    data = bundled_data()
    data["preferred_when_close"] = {"goodbye": "thank_you"}
    assert "preferred_when_close names unknown intents: thank_you" in load_broken(tmp_path, data)
    data = bundled_data()
    data["intents"][index_of(data, "thanks")]["keywords"]["en"].append("Bye!")
    assert "keyword 'Bye!' belongs to both 'goodbye' and 'thanks'" in load_broken(tmp_path, data)
    data = bundled_data()
    data["keypad"]["hotel"]["0"] = {"label": "operator", "question": "Who?"}
    assert "keypad.hotel.0.[key]: String should match pattern" in load_broken(tmp_path, data)
    data = bundled_data()
    data["intents"] = [i for i in data["intents"] if i["action"] != "counterweight"]
    assert "needs at least one 'counterweight' intent" in load_broken(tmp_path, data)


def test_files_that_are_not_intent_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("intents: [\n  - name: human\n", encoding="utf-8")
    with pytest.raises(IntentsError, match=f"{path}: not valid YAML"):
        load_intents(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(IntentsError, match="expected a mapping with 'intents', got an empty"):
        load_intents(path)
    with pytest.raises(IntentsError, match="cannot read intents file .*missing.yaml"):
        load_intents(tmp_path / "missing.yaml")
    assert "intents: Field required" in load_broken(tmp_path, {"threshold": 0.5})
