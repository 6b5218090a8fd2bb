"""Folding what a user types: names, hosts, registered labels."""

from __future__ import annotations

import pytest

from bot.lookups.normalise import domain_label, fold, host_of


@pytest.mark.parametrize(
    ("text", "folded"),
    [("mSpy", "mspy"), (" M Spy ", "mspy"), ("m-spy.", "mspy"), ("Pokébip", "pokebip"), ("ÉCHAP", "echap"),
     ("Straße", "strasse"), ("Пара Па", "парапа"), ("Collection #1", "collection1"), ("  ", "")],
)  # fmt: skip
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "host"),
    [("mspy.com", "mspy.com"), ("WWW.mSpy.com.", "mspy.com"), ("https://www.mspy.com/fr/x?y=1", "mspy.com"),
     ("http://user@cart.mspy.com:8080/", "cart.mspy.com"), ("mspy.com/pricing", "mspy.com"),
     ("com.mspy.lite", "com.mspy.lite"), ("mSpy", None), ("", None), ("a..b", None), ("two words.com", None),
     ("https://", None), ("http://[::1", None)],
)  # fmt: skip
def test_host_of(text: str, host: str | None) -> None:
    assert host_of(text) == host


@pytest.mark.parametrize(
    ("host", "label"),
    [("mspy.com", "mspy"), ("mspy.co.uk", "mspy"), ("mspy.com.br", "mspy"), ("dev.dota2.com", "dota2"),
     ("cart.mspy.com", "mspy"), ("thd.cc", "thd")],
)  # fmt: skip
def test_domain_label(host: str, label: str) -> None:
    assert domain_label(host) == label
