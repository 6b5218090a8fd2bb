"""Rendering: translation, plural forms, dates, escaping of user values, and splitting for Telegram."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from bot.core import html_text
from bot.core.dialogue import Advice, Content
from bot.core.engine import Ask, Notice, Pick, Picked, Result, Say, Toast
from bot.core.i18n import Translator, language_for
from bot.core.render import Button, Link, Reply, message, render, split_html, utf16_length

ADVICE = Advice(
    "twofa", 1, "Active la double authentification", "Réglages du compte > Sécurité.", "https://x.example/a"
)


def test_user_values_are_escaped_but_the_writers_html_is_kept(
    mini: Content, mini_translators: dict[str, Translator]
) -> None:
    params = MappingProxyType({"name": "<b>Zoé</b> & co"})
    reply = render(mini, mini_translators["fr"], [Say("Parfait, {name} !", params)])
    assert reply.text == "Parfait, &lt;b&gt;Zoé&lt;/b&gt; &amp; co !"
    assert html_text.problem(reply.text) is None


def test_a_question_renders_translated_labels_and_its_step(
    mini: Content, mini_translators: dict[str, Translator]
) -> None:
    ask = Ask("Et la double authentification ?", ("Oui", "À moitié", "Non"), 7)
    reply = render(mini, mini_translators["en"], [Picked("Oui"), Say("Propre."), ask])
    assert reply.labels == ("Yes", "Halfway", "No") and reply.step == 7
    assert reply.text == "Neat.\n\nAnd two-factor authentication?"
    assert reply.picked == "→ Yes"


def test_french_plural_rule_makes_0_and_1_singular(mini: Content, mini_translators: dict[str, Translator]) -> None:
    french, english = mini_translators["fr"], mini_translators["en"]
    assert message(mini, french, "result_header", count=0, score=1).startswith("Ta priorité")
    assert message(mini, french, "result_header", count=1, score=1).startswith("Ta priorité")
    assert message(mini, french, "result_header", count=2, score=1).startswith("Tes 2 priorités")
    assert message(mini, english, "result_header", count=0, score=1).startswith("Your 0 priorities")
    assert message(mini, english, "result_header", count=1, score=1).startswith("Your priority")


def test_result_is_dated_in_the_users_locale(mini: Content, mini_translators: dict[str, Translator]) -> None:
    result = Result("quiz", 42, (ADVICE,))
    french = render(mini, mini_translators["fr"], [result], today=date(2026, 11, 29)).text
    english = render(mini, mini_translators["en"], [result], today=date(2026, 11, 29)).text
    assert "Le 29 novembre 2026" in french and "Ta priorité (42/100)" in french
    assert "On November 29, 2026" in english and "Your priority (42/100)" in english
    assert 'Source: <a href="https://x.example/a">x.example</a>' in english  # a short linked name, not a raw URL
    assert "Turn on two-factor authentication" in english


def test_a_terminal_shows_a_links_address_beside_its_name() -> None:
    linked = html_text.link("https://www.cnil.fr/fr/adresser-une-plainte?a=1&b=2")
    assert linked == '<a href="https://www.cnil.fr/fr/adresser-une-plainte?a=1&amp;b=2">cnil.fr</a>'
    assert (
        html_text.strip(f"Source : {linked}")
        == "Source : cnil.fr (https://www.cnil.fr/fr/adresser-une-plainte?a=1&b=2)"
    )
    assert html_text.strip('<a href="https://a.example/">https://a.example/</a>') == "https://a.example/"  # noqa: B005 (html_text.strip)


def test_numbers_follow_the_locale(mini_translators: dict[str, Translator]) -> None:
    assert mini_translators["fr"].number(1234.5) == "1\u202f234,5"
    assert mini_translators["en"].number(1234.5) == "1,234.5"


def test_notices_render_from_messages(mini: Content, mini_translators: dict[str, Translator]) -> None:
    assert render(mini, mini_translators["en"], [Notice("stale_button")]).text == "Button expired."
    assert render(mini, mini_translators["en"], [Toast("stale_button")]).toast == "Button expired."


def test_language_from_telegram_code() -> None:
    assert [language_for(c) for c in ("fr", "fr-CA", "FR-be", "en", "en-GB", "EN", "de", "es", "", None)] == [
        "fr", "fr", "fr", "en", "en", "en", "en", "en", "en", "en",
    ]  # fmt: skip


def test_long_texts_are_split_at_paragraphs_within_telegrams_limit() -> None:
    paragraphs = [f"<b>Titre {n}</b>\n" + "é" * 1500 for n in range(6)]
    chunks = split_html("\n\n".join(paragraphs))
    assert len(chunks) > 1
    assert all(utf16_length(html_text.strip(c)) <= 4096 and html_text.problem(c) is None for c in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(paragraphs)  # nothing lost, nothing cut mid-paragraph


def test_one_huge_paragraph_is_cut_at_spaces_and_stays_valid() -> None:
    text = "<i>" + " ".join(["mot😀"] * 3000) + " &amp; fin</i>"
    chunks = split_html(text)
    assert len(chunks) >= 4
    assert all(utf16_length(html_text.strip(c)) <= 4096 and html_text.problem(c) is None for c in chunks)
    assert html_text.strip("".join(chunks)).replace(" ", "") == html_text.strip(text).replace(" ", "")


def test_a_text_names_its_sources_under_it(mini: Content, mini_translators: dict[str, Translator]) -> None:
    say = Say("Propre.", sources=("https://www.cnil.fr/fr/mots-de-passe",))
    reply = render(mini, mini_translators["fr"], [say])
    assert reply.text.startswith("Propre.\n<i>") and "https://www.cnil.fr/fr/mots-de-passe" in reply.text
    assert html_text.problem(reply.text) is None


def test_a_perfect_checkup_says_its_score_once(shipped: Content, translators: dict[str, Translator]) -> None:
    """The result node's text says "100/100"; the result block (no actions to list) must not say it again."""
    from bot.core.engine import Command, Pick, State, step

    state = State()
    result = step(shipped, state, Command("checkup"))
    texts: list[str] = []
    for _ in range(40):
        state = result.state
        asks = [o for o in result.outputs if isinstance(o, Ask)]
        if not asks or any(isinstance(o, Result) for o in result.outputs):  # the result (and the reminder offer)
            break
        assert state.dialogue and state.node
        choices = shipped.dialogues[state.dialogue].nodes[state.node].choices
        best = max(range(len(choices)), key=lambda i: (choices[i].points or 0, -i))
        result = step(shipped, state, Pick(asks[-1].step, best))
    assert any(isinstance(o, Result) for o in result.outputs), "the checkup never reached its result"
    for language in ("fr", "en"):
        texts.append(render(shipped, translators[language], result.outputs, today=date(2026, 11, 30)).text)
    for text in texts:
        assert text.count("100/100") == 1, text


def test_a_reply_with_a_site_button_survives_the_outbox() -> None:
    """A reply waits in the outbox as JSON: its URL buttons come back as they were."""
    reply = Reply("x", (Button("Oui", Pick(3, 0)), Button("33700", Link("https://www.33700.fr/"))))
    assert Reply.from_json(reply.to_json()).buttons == reply.buttons


def test_a_rebuilt_messages_link_addresses_are_escaped_for_telegram() -> None:
    """python-telegram-bot's text_html keeps a link's "&" bare, which Telegram refuses when the answered
    question is edited to show the pick (found by bench/crash.py on a source with a query string)."""
    rebuilt = 'Source : <a href="https://ovc.ojp.gov/faqs?faqid=1310&Type=Crime">ovc.ojp.gov</a> &amp; co'
    fixed = html_text.escape_hrefs(rebuilt)
    assert html_text.problem(rebuilt) is not None and html_text.problem(fixed) is None
    assert 'href="https://ovc.ojp.gov/faqs?faqid=1310&amp;Type=Crime"' in fixed and fixed.endswith("&amp; co")
    assert html_text.escape_hrefs(fixed) == fixed  # already escaped: unchanged
