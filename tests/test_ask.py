"""`ytlocal ask`: answers kept only when the cited passages support them; a scripted model for the edge
cases, the real small model end to end."""

import json

import pytest

from ytlocal.answer import NOT_FOUND, answer_question, check_sentence
from ytlocal.library import Hit
from ytlocal.runtime.llm import Generation

PASSAGES = [
    Hit("youtube-bees", "Talk about bees", 5.0, 34.0,
        "Honey **bees** pollinate apple trees and almonds. A colony can hold 50,000 workers in summer.",
        "https://www.youtube.com/watch?v=bees", None, 3.0),
    Hit("file-rivers", "rivers", 65.0, 80.0,
        "Rivers carry sediment from the mountains to the sea. Dams do not let the sediment pass.",
        None, "/talks/rivers.m4a", 1.0),
]


class Scripted:
    """An LlmSession stand-in that answers with a fixed text and records the prompt."""

    def __init__(self, text):
        self.text = text
        self.messages = None

    def chat(self, messages, max_tokens, sampling, stop=None):
        self.messages = messages
        return Generation(self.text, 100, len(self.text.split()), 0.01)


def test_a_supported_answer_is_kept_with_its_links():
    session = Scripted("Honey bees pollinate apple trees and almonds [1]. A colony holds 50,000 workers in summer. [1]")
    answer = answer_question("What do bees pollinate?", PASSAGES, session)
    assert answer.grounded and answer.refused == []
    assert [cited for _s, cited in answer.sentences] == [[1], [1]]
    assert answer.text().startswith("Honey bees pollinate apple trees and almonds. [00:05](https://www.youtube.com/"
                                    "watch?v=bees&t=5)")
    assert "[1] Honey bees pollinate" in session.messages[1]["content"]  # numbered, bold marks removed
    assert "**" not in session.messages[1]["content"]


@pytest.mark.parametrize("text, reason", [
    ("Honey bees pollinate 80,000 apple trees [1].", "not supported"),  # a number the passage lacks
    ("Bees do not pollinate almonds or apple trees [1].", "not supported"),  # a negation the passage lacks
    ("Bees pollinate [1].", "only repeats the question"),
    ("Rivers carry sediment from the mountains to the sea [1].", "not supported by the passages it cites"),
    ("Honey bees are dangerous insects that sting farmers and their families [1].", "not supported"),
])
def test_unsupported_sentences_are_refused(text, reason):
    answer = answer_question("What do bees pollinate?", PASSAGES, Scripted(text))
    assert not answer.grounded
    assert answer.refused and reason in answer.refused[0][1]


def test_uncited_sentences_may_rest_on_any_shown_passage_and_negations_that_are_there_pass():
    answer = answer_question("What do dams do to sediment?", PASSAGES,
                             Scripted("Dams do not let the sediment pass."))
    assert answer.sentences == [("Dams do not let the sediment pass.", [2])]
    assert answer.text().endswith("/talks/rivers.m4a 01:05")


def test_not_found_and_no_passages_give_no_answer():
    assert not answer_question("Who won the match?", PASSAGES, Scripted(NOT_FOUND)).grounded
    session = Scripted("anything")
    empty = answer_question("Who won the match?", [], session)
    assert not empty.grounded and session.messages is None  # no passages: the model is not even asked
    data = empty.to_dict()
    assert data["answer"] is None and data["passages"] == []


def test_check_sentence_needs_new_content_from_the_passage():
    assert check_sentence("Bees pollinate almonds and apple trees [1].", [1], PASSAGES, "What do bees pollinate?")[0] == [1]
    assert check_sentence("Bees pollinate almonds [1].", [1], PASSAGES, "What do bees pollinate?")[1] == "only repeats the question"
    assert check_sentence("It is an interesting question [1].", [1], PASSAGES, "What do bees pollinate?")[1] == "only repeats the question"
    assert check_sentence("Almonds [1].", [1], PASSAGES, "What do bees pollinate?") == ([], "too short to say anything")


@pytest.mark.integration
def test_ask_with_the_real_model_answers_only_from_the_passages(run_cli, talk_m4a):
    result = run_cli("ask", "Why do honey bees matter to farmers?", str(talk_m4a), "--whisper-model", "whisper-tiny.en",
                     "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passages"] and "bees" in data["passages"][0]["text"].lower()
    passages_text = " ".join(p["text"].replace("**", "") for p in data["passages"]).lower()
    if data["grounded"]:
        for sentence in data["sentences"]:
            assert sentence["passages"]
            for number in sentence["passages"]:
                assert 1 <= number <= len(data["passages"])
    else:
        assert data["answer"] is None
    for refused in data["refused"]:
        assert refused["reason"]
    if data["grounded"]:  # every kept sentence's names and numbers are in the passages
        from ytlocal.text import names_and_numbers

        for sentence in data["sentences"]:
            assert all(fact in passages_text for fact in names_and_numbers(sentence["text"]))
    # The text form: the answer (or the honest refusal) and the numbered passages with their times.
    text = run_cli("ask", "Why do honey bees matter to farmers?", "--whisper-model", "whisper-tiny.en")
    assert text.exit_code == 0 and "[1] " in text.output and str(talk_m4a) in text.output
    nothing = run_cli("ask", "zyzzyva quokka", "--whisper-model", "whisper-tiny.en")
    assert "nothing in the library matches" in nothing.output


def test_ask_on_an_empty_library_says_how_to_fill_it(run_cli, tmp_path):
    result = run_cli("ask", "anything?", "--library", str(tmp_path / "empty"), "--whisper-model", "whisper-tiny.en")
    assert result.exit_code == 0 and "is empty" in result.output


def test_prompt_echoes_are_dropped_from_kept_sentences():
    answer = answer_question("What do bees pollinate?", PASSAGES,
                             Scripted("The answer is: Honey bees pollinate apple trees and almonds [1]."))
    assert answer.sentences == [("Honey bees pollinate apple trees and almonds.", [1])]


@pytest.mark.integration
def test_the_python_api_searches_and_asks(talk_m4a, tmp_path):
    import ytlocal

    options = {"whisper_model": "whisper-tiny.en", "library_dir": tmp_path / "library"}
    answer = ytlocal.ask("Why do honey bees matter to farmers?", [str(talk_m4a)], **options)
    assert answer.passages and answer.passages[0].path == str(talk_m4a)
    assert answer.grounded or answer.text() == ""
    hits = ytlocal.search("honeybee colony", **options)
    assert hits and hits[0].spans and hits[0].link.startswith(str(talk_m4a))
    assert ytlocal.search("zyzzyva", **options) == []
