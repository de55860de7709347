from voice.clauses import ClauseTextAggregator


async def _split(text: str) -> list[str]:
    aggregator = ClauseTextAggregator(min_clause_chars=40)
    parts = [a.text async for a in aggregator.aggregate(text)]
    rest = await aggregator.flush()
    return parts + ([rest.text] if rest and rest.text else [])


async def test_long_sentences_are_cut_after_a_comma():
    text = ("Breakfast is served from 6:30 to 10:30 in the morning on weekdays, and from 7 "
            "to 11 on weekends. Parking costs 28 dollars.")
    assert await _split(text) == [
        "Breakfast is served from 6:30 to 10:30 in the morning on weekdays,",
        "and from 7 to 11 on weekends.",
        "Parking costs 28 dollars.",
    ]


async def test_short_clauses_and_thousands_stay_whole():
    assert await _split("Yes, of course. It costs 1,000 dollars, or less.") == [
        "Yes, of course.", "It costs 1,000 dollars, or less."]


async def test_a_chunk_ending_a_sentence_is_released_without_waiting_for_more():
    aggregator = ClauseTextAggregator(min_clause_chars=40)
    first = [a.text async for a in aggregator.aggregate("Let me check that for you.")]
    assert first == ["Let me check that for you."]
    # Mid-sentence text still waits for the rest.
    assert [a.text async for a in aggregator.aggregate("Your order")] == []
    assert [a.text async for a in aggregator.aggregate(" shipped on May 3.")] == [
        "Your order shipped on May 3."]


async def test_a_replys_first_clause_is_cut_shorter_and_only_the_first():
    text = "Yes, we have a garage downstairs, and it costs 28 dollars a night, valet included."
    first = "Yes, we have a garage downstairs,"
    rest = "and it costs 28 dollars a night, valet included."
    assert await _split(text) == [first, rest]  # "night," ends a clause of 32: not cut
    aggregator = ClauseTextAggregator()
    assert [a.text async for a in aggregator.aggregate(text)] == [first, rest]
    # Later text is cut at 40 characters; the next reply's first clause is cut short again once
    # the service says it began.
    assert [a.text async for a in aggregator.aggregate(text)] == [
        "Yes, we have a garage downstairs, and it costs 28 dollars a night,", "valet included."]
    aggregator.start_reply()
    assert [a.text async for a in aggregator.aggregate(text)] == [first, rest]
