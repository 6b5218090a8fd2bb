"""What each engine output becomes in a reply: its text, its buttons (cut to what Telegram shows, in order),
the local routes and their sites, and the flags an adapter acts on (erase the input, clear the chat, switch the
command menu, replace the pressed message); a reply kept in the outbox comes back the same; long texts split.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pytest

from bot.core.dialogue import Content, Message
from bot.core.engine import (
    Ask,
    ClearChat,
    LanguageChanged,
    Notice,
    ObjectButton,
    Offer,
    Pick,
    Press,
    Result,
    Say,
    SecretRefused,
)
from bot.core.i18n import Translator
from bot.core.regions import OTHER, Region, Regions, RouteInfo
from bot.core.render import Button, Link, Reply, dated, render, route_links, split_html, utf16_length, with_routes
from tests.test_render import ADVICE

LONG_NAME = "Plateforme nationale de signalement des contenus illicites en ligne"  # 68 characters
ROUTES = {
    "police": RouteInfo("17", "Appelle le 17.", "https://police.example/17"),
    "plainte": RouteInfo(LONG_NAME, "Porte plainte en ligne.", "https://plainte.example/", "https://plainte.example/"),
    "aide": RouteInfo("Aide", "Dis « {stop} » puis raccroche }", "https://plainte.example/", "https://aide.example/"),
}
PRESS = Press("reminder", 7, 123, "done")


@pytest.fixture
def content(mini: Content) -> Content:
    messages = {
        **mini.messages,
        "n_reminders": Message("Un rappel.", "{count} rappels."),
        "use_buttons": Message("Utilise les boutons."),
        "console_use_buttons": Message("Tape le numéro."),
        "data_as_of": Message("Données du {date}."),
    }
    region = Region(OTHER, "Ailleurs", (), "2026-12-01", ROUTES)
    return replace(mini, messages=messages, regions=Regions(tuple(ROUTES), {OTHER: region}))


@pytest.fixture
def french(mini_translators: dict[str, Translator]) -> Translator:
    return mini_translators["fr"]


def test_a_plain_text_asks_the_adapter_for_nothing(content: Content, french: Translator) -> None:
    assert render(content, french, [Say("Salut.")]) == Reply("Salut.")
    assert render(content, french, [Say("Salut {inconnu}.")]).text == "Salut {inconnu}."  # visible, not a crash


def test_each_output_sets_what_the_adapter_must_do(content: Content, french: Translator) -> None:
    refused = render(content, french, [SecretRefused("password")])
    assert refused == Reply("Pas de password ici.", erase_input=True)
    assert render(content, french, [ClearChat()]) == Reply(clear_chat=True)
    assert render(content, french, [LanguageChanged("en")]) == Reply(menu_language="en")
    settings = render(content, french, [Ask("Réglages", ("Langue",), 4, in_place=True)])
    assert settings == Reply("Réglages", (Button("Langue", Pick(4, 0)),), in_place=True)


def test_buttons_keep_their_order_and_a_long_label_is_cut_to_64(content: Content, french: Translator) -> None:
    outputs = [
        Offer("Tes rappels :", (ObjectButton("x" * 64, PRESS),)),
        Offer("", (ObjectButton("y" * 65, PRESS),)),
        Ask("Et ensuite ?", ("Retour",), 9),
    ]
    reply = render(content, french, outputs)
    assert reply.labels == ("x" * 64, "y" * 63 + "…", "Retour")
    assert reply.text == "Tes rappels :\n\nEt ensuite ?"


def test_a_text_names_the_users_routes_with_their_sources_and_sites(content: Content, french: Translator) -> None:
    text = "Urgence : {route.police}\nSinon, {route.plainte.name} ou {route.aide}."
    params = MappingProxyType({"stop": "NON"})
    reply = render(content, french, [Say(text, params), Say("Encore : {route.aide.name}")])
    assert reply.text == (
        "Urgence : Appelle le 17.\n"
        f"Sinon, {LONG_NAME} ou Dis « {{stop}} » puis raccroche }}.\n"
        '<i>Source : <a href="https://police.example/17">police.example</a></i>\n'
        '<i>Source : <a href="https://plainte.example/">plainte.example</a></i>'
        "\n\nEncore : Aide\n"
        '<i>Source : <a href="https://plainte.example/">plainte.example</a></i>'
    )
    assert (
        reply.buttons
        == (  # one per site, in the order named, after every other button; none for a phone number
            Button(LONG_NAME[:63] + "…", Link("https://plainte.example/")),
            Button("Aide", Link("https://aide.example/")),
        )
    )


def test_a_route_with_no_region_or_no_such_key_is_left_as_written(content: Content, french: Translator) -> None:
    region = content.regions.of(None)
    assert with_routes("Appelle {route.police}.", french, None) == ("Appelle {{route.police}}.", ())
    assert with_routes("Appelle {route.inconnue}.", french, region) == ("Appelle {{route.inconnue}}.", ())
    assert route_links("Va sur {route.aide}.", french, None) == ()
    without = replace(content, regions=Regions())
    assert render(without, french, [Notice("use_buttons")]).text == "Utilise les boutons."
    # Rendered, such a placeholder is shown as written: never an AttributeError from `str.format_map`.
    assert render(content, french, [Say("Appelle {route.inconnue}.")]).text == "Appelle {route.inconnue}."
    assert render(without, french, [Say("Appelle {route.police} ({route.aide.name}).")]).text == (
        "Appelle {route.police} ({route.aide.name})."
    )


def test_a_notice_counts_and_says_the_adapters_own_words(content: Content, french: Translator) -> None:
    counted = [Notice("n_reminders", MappingProxyType({"count": 3})), Notice("n_reminders")]
    assert render(content, french, counted).text == "3 rappels.\n\nUn rappel."
    assert render(content, french, [Notice("use_buttons")], variant="console").text == "Tape le numéro."
    assert render(content, french, [Notice("use_buttons")]).text == "Utilise les boutons."


def test_a_result_lists_each_priority_or_says_there_is_nothing(content: Content, french: Translator) -> None:
    assert render(content, french, [Result("quiz", 92, ())]).text == "Rien à signaler (92/100)."
    two = render(content, french, [Result("quiz", 40, (ADVICE, ADVICE))], today=date(2026, 12, 7)).text
    item = (
        "<b>Active la double authentification</b>\nRéglages du compte > Sécurité.\n"
        '<i>Source : <a href="https://x.example/a">x.example</a></i>'
    )
    assert two == f"<i>Le 7 décembre 2026</i>\n<b>Tes 2 priorités (40/100)</b>\n\n1. {item}\n\n2. {item}"


def test_a_data_sets_date_is_said_under_its_credit(content: Content, french: Translator) -> None:
    assert dated(content, french, date(2024, 11, 22)) == "\nDonnées du 22 novembre 2024."  # not today's date
    assert dated(content, french, None) == ""


def test_a_reply_kept_in_the_outbox_comes_back_the_same() -> None:
    buttons = (Button("1", Pick(3, 0)), Button("Site", Link("https://x.example/")), Button("Fait", PRESS))
    reply = Reply("Bravo, c'est réglé 🎉", buttons, toast="Noté")
    saved = reply.to_json()
    assert Reply.from_json(saved) == reply
    assert "réglé 🎉" in saved  # kept as written, not as \u escapes: the outbox row stays small


def test_telegram_length_counts_an_emoji_as_two() -> None:
    assert utf16_length("é😀") == 3


def test_a_long_text_splits_between_paragraphs_and_keeps_one_that_fits_exactly() -> None:
    assert split_html("aaa\n\nbbbbb", limit=10) == ["aaa\n\nbbbbb"]
    assert split_html("aaaa\n\nbbbbb", limit=10) == ["aaaa", "bbbbb"]
    assert split_html("<b>abcdefghij</b>", limit=10) == ["<b>abcdefghij</b>"]
    assert split_html("aaa\n\n<b>abcdefghij</b>", limit=10) == ["aaa", "<b>abcdefghij</b>"]  # keeps its bold


def test_a_paragraph_too_long_is_cut_at_a_space_past_its_middle() -> None:
    assert split_html("un deux  trois quatre cinq", limit=10) == ["un deux", "trois quat", "re cinq"]
    assert split_html("aaaaaaaaa abcdef ghi", limit=10) == ["aaaaaaaaa", "abcdef ghi"]  # the rest fits exactly
    assert split_html("ab😀😀😀😀😀", limit=5) == ["ab😀", "😀😀", "😀😀"]
    assert split_html("<b>ab</b> &amp; cdefghijkl", limit=8) == ["ab &amp; cde", "fghijkl"]
