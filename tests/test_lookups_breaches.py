"""The breach catalogue: parsing HIBP's format, matching services, new breaches, fetching and caching."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.dialogue import Content
from bot.core.i18n import Translator
from bot.lookups.breaches import CACHE_FILE, Catalogue, CatalogueError, cached_catalogue, fetch_catalogue, leaked
from tests.support.data_server import data_server

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "data" / "hibp-breaches-sample.json"
REAL = Path("/work/shared/data/hibp/breaches-2024-11-22.json")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="the real HIBP catalogue is not on this machine")
MSPY_QUERIES = ["mspy", "mSpy", "MSPY", "mspy.com", "www.mspy.com", " M Spy ", "m-spy", "https://www.mspy.com/fr/x"]
AGENT = "Gaffe-bot-test (+https://example.org)"
T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def sample_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(SAMPLE.read_bytes())
    return entries


def encode(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps(entries).encode()


def extra_breach(name: str = "mSpy2026", **changes: Any) -> dict[str, Any]:
    entry = dict(next(e for e in sample_entries() if e["Name"] == "mSpy2024"))
    entry.update(Name=name, Title=f"{name} title", BreachDate="2026-10-01", AddedDate="2026-11-29T10:00:00Z")
    entry.update(changes)
    return entry


@pytest.fixture(scope="module")
def sample() -> Catalogue:
    return Catalogue.parse(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def real() -> Catalogue:
    return Catalogue.parse(REAL.read_bytes())


# Matching


def test_the_sample_parses_into_breaches(sample: Catalogue) -> None:
    assert len(sample) == len(sample_entries()) == 12
    mspy = sample.breaches["mSpy2024"]
    assert mspy.title == "mSpy (2024)" and mspy.domain == "mspy.com"
    assert mspy.breach_date == date(2024, 6, 9) and mspy.added_date == datetime(2024, 7, 11, 19, 29, 21, tzinfo=UTC)
    assert mspy.pwn_count == 2394179 and mspy.data_classes[:2] == ("Email addresses", "IP addresses")
    assert mspy.is_verified and mspy.is_sensitive and not (mspy.is_fabricated or mspy.is_spam_list)


@pytest.mark.parametrize("query", MSPY_QUERIES)
def test_every_way_of_naming_mspy_finds_both_breaches_oldest_first(sample: Catalogue, query: str) -> None:
    assert [b.name for b in sample.find(query)] == ["mSpy", "mSpy2024"]
    assert sample.service_key(query) == "mspy"


@pytest.mark.parametrize(
    "query", ["mspyy", "spy", "nonsense", "", "   ", "mspy.evil.example", "https://", ".", "mspy" * 100]
)
def test_other_names_find_nothing(sample: Catalogue, query: str) -> None:
    assert sample.find(query) == ()
    assert sample.service_key(query) is None


def test_accents_and_case_are_ignored(sample: Catalogue) -> None:
    for query in ("Pokébip", "pokebip", "POKÉBIP", "Poke bip", "pokebip.com"):
        assert [b.name for b in sample.find(query)] == ["Pokebip"], query


def test_a_years_suffix_is_dropped_only_when_it_is_the_breachs_own_year(sample: Catalogue) -> None:
    assert [b.name for b in sample.find("OGUsers")] == ["OGUsers2020", "OGUsers2021"]
    assert [b.name for b in sample.find("Zoosk")] == ["Zoosk", "Zoosk2020"]
    # "Sport 2000" is the brand, breached in 2024: "sport" alone is not it.
    assert sample.find("sport") == ()
    assert [b.name for b in sample.find("Sport 2000")] == ["Sport2000"]


def test_a_domain_finds_every_breach_of_that_domain_and_another_tld_falls_back_to_its_name(sample: Catalogue) -> None:
    assert [b.name for b in sample.find("linkedin.com")] == ["LinkedIn", "LinkedInScrape2023"]
    assert [b.name for b in sample.find("LinkedIn")] == ["LinkedIn", "LinkedInScrape2023"]
    assert [b.name for b in sample.find("adobe.fr")] == ["Adobe"]
    assert sample.service_key("linkedin.com") == sample.service_key("LinkedIn") == "linkedin"


def test_a_stored_service_key_finds_the_service_again(sample: Catalogue) -> None:
    for query in (*MSPY_QUERIES, "linkedin.com", "Pokébip", "OGUsers"):
        key = sample.service_key(query)
        assert key is not None and "." not in key
        assert sample.find_key(key) == sample.find(query), query
    assert sample.find_key("never-stored") == ()


# New breaches and alerts


def test_fabricated_breaches_and_spam_lists_never_alert(sample: Catalogue) -> None:
    fake = extra_breach("mSpyFake", IsFabricated=True)
    spam = extra_breach("mSpySpam", IsSpamList=True)
    newer = Catalogue.parse(encode([*sample_entries(), fake, spam, extra_breach()]))
    assert [b.name for b in newer.find("mspy") if b.alertable] == ["mSpy", "mSpy2024", "mSpy2026"]
    assert [b.name for b in newer.find("mspy")] == ["mSpy", "mSpy2024", "mSpy2026", "mSpyFake", "mSpySpam"]  # shown


# The format


def broken(change: Any) -> bytes:
    entries = sample_entries()
    change(entries[3])
    return encode(entries)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"<html>Cloudflare</html>", "not JSON"),
        (b'{"Name": "x"}', "must be a JSON list"),
        (encode(["mSpy"]), "breach #0: expected an object"),
        (broken(lambda e: e.pop("Name")), "breach #3: Name must be a non-empty string"),
        (broken(lambda e: e.update(BreachDate="2015-13-40")), "breach #3 ('mSpy'): BreachDate is not a date"),
        (broken(lambda e: e.update(AddedDate="yesterday")), "AddedDate is not an ISO date"),
        (broken(lambda e: e.update(PwnCount="699793")), "PwnCount must be a whole number"),
        (broken(lambda e: e.update(PwnCount=-1)), "PwnCount must be a whole number"),
        (broken(lambda e: e.update(DataClasses="Passwords")), "DataClasses must be a list of strings"),
        (broken(lambda e: e.update(IsFabricated="no")), "IsFabricated must be true or false"),
        (broken(lambda e: e.update(Domain=None)), "Domain must be a string"),
        (encode([*sample_entries(), sample_entries()[0]]), "breach 'Adobe' appears twice"),
    ],
)
def test_a_malformed_catalogue_says_what_is_wrong(raw: bytes, fragment: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        Catalogue.parse(raw)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_flags_added_later_by_hibp_default_to_false() -> None:
    entries = sample_entries()
    del entries[0]["IsMalware"]
    assert Catalogue.parse(encode(entries)).breaches["Adobe"].is_malware is False


# The real catalogue


@needs_real
def test_the_real_catalogue_has_mspys_two_breaches(real: Catalogue) -> None:
    assert len(real) == 834
    for query in MSPY_QUERIES:
        found = real.find(query)
        assert [(b.name, b.breach_date, b.pwn_count) for b in found] == [
            ("mSpy", date(2015, 5, 14), 699_793),
            ("mSpy2024", date(2024, 6, 9), 2_394_179),
        ], query
    assert real.find("definitely not a service 42") == () and real.find("mspy.evil.example") == ()


@needs_real
def test_every_real_breach_is_found_by_its_own_name_and_title(real: Catalogue) -> None:
    for breach in real.breaches.values():
        assert breach in real.find(breach.name), breach.name
        assert breach in real.find(breach.title), breach.title
        if breach.domain:
            assert breach in real.find(breach.domain), breach.domain


@needs_real
def test_every_real_data_class_has_a_french_label(real: Catalogue, shipped: Content) -> None:
    """A French reader sees what leaked in French, the rare kinds too ("Drinking habits" in 5 breaches)."""
    used = {c for b in real.breaches.values() for c in b.data_classes}
    assert set(shipped.data_classes) <= used, "a label for a data class HIBP does not use (a typo?)"
    assert sorted(used - set(shipped.data_classes)) == []


def test_every_french_data_class_label_reads_as_hibps_name_in_english(
    shipped: Content, translators: dict[str, Translator]
) -> None:
    english = translators["en"].text
    assert {english(label) for label in shipped.data_classes.values()} == set(shipped.data_classes)


def test_shipped_data_classes_are_labelled_in_french(shipped: Content) -> None:
    assert shipped.data_classes["Email addresses"] == "Adresses e-mail"
    assert shipped.data_classes["Passwords"] == "Mots de passe"
    assert len(set(shipped.data_classes.values())) == len(shipped.data_classes) >= 40


def test_what_leaked_is_said_in_the_users_language(
    sample: Catalogue, shipped: Content, translators: dict[str, Translator]
) -> None:
    mspy = sample.breaches["mSpy2024"]
    labels = shipped.data_classes
    assert leaked(mspy, labels, translators["fr"].text) == ("Adresses e-mail", "Adresses IP", "Noms", "Photos")
    assert leaked(mspy, labels, translators["en"].text) == mspy.data_classes
    unknown = Catalogue.parse(encode([extra_breach(DataClasses=["Passwords", "Pet names"])]))
    assert leaked(unknown.breaches["mSpy2026"], labels, translators["fr"].text) == (
        "Mots de passe",
        "Pet names",
    )


# Fetching and caching


async def test_fetching_sends_the_user_agent_caches_and_refreshes_at_most_once_per_max_age(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/breaches", SAMPLE.read_bytes())
        url = f"{server.base_url}/breaches"
        first = await fetch_catalogue(url, tmp_path, user_agent=AGENT, now=T0)
        assert len(first) == 12 and server.requests == [("/breaches", AGENT)]
        assert (tmp_path / CACHE_FILE).read_bytes() == SAMPLE.read_bytes()

        server.serve("/breaches", encode([*sample_entries(), extra_breach()]))
        again = await fetch_catalogue(url, tmp_path, user_agent=AGENT, now=T0 + timedelta(hours=23))
        assert len(again) == 12 and len(server.requests) == 1  # within a day: the cached copy, no request

        older = cached_catalogue(url, tmp_path)  # what a restarted bot compares the next refresh with
        newer = await fetch_catalogue(url, tmp_path, user_agent=AGENT, now=T0 + timedelta(hours=25))
        assert len(server.requests) == 2 and older is not None and len(older) == 12
        assert set(newer.breaches) - set(older.breaches) == {"mSpy2026"}
        assert len(cached_catalogue(url, tmp_path) or ()) == 13
    assert cached_catalogue("https://elsewhere.example/breaches", tmp_path) is None
    assert cached_catalogue(url, tmp_path / "empty") is None


@pytest.mark.parametrize(("status", "body"), [(503, b"down"), (200, b"<html>not the catalogue</html>")])
async def test_a_failed_refresh_keeps_the_cached_copy_and_warns_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int, body: bytes
) -> None:
    async with data_server() as server:
        server.serve("/breaches", SAMPLE.read_bytes())
        url = f"{server.base_url}/breaches"
        await fetch_catalogue(url, tmp_path, user_agent=AGENT, now=T0)
        server.serve("/breaches", body, status)
        with caplog.at_level(logging.WARNING, logger="gaffe.lookups"):
            stale = await fetch_catalogue(url, tmp_path, user_agent=AGENT, now=T0 + timedelta(days=2))
    assert len(stale) == 12 and len(server.requests) == 2
    assert (tmp_path / CACHE_FILE).read_bytes() == SAMPLE.read_bytes()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert "not refreshed" in warnings[0].getMessage()


async def test_an_unreachable_server_uses_the_cache_or_says_there_is_no_catalogue(tmp_path: Path) -> None:
    async with data_server() as server:
        url = f"{server.base_url}/breaches"
        server.serve("/breaches", SAMPLE.read_bytes())
        await fetch_catalogue(url, tmp_path / "cached", user_agent=AGENT, now=T0)
    # The server is gone: connection refused.
    stale = await fetch_catalogue(url, tmp_path / "cached", user_agent=AGENT, now=T0 + timedelta(days=3))
    assert len(stale) == 12
    with pytest.raises(CatalogueError, match=r"no breach catalogue: .*no cached copy"):
        await fetch_catalogue(url, tmp_path / "empty", user_agent=AGENT, now=T0)


async def test_a_cache_of_another_source_is_not_used(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/a", SAMPLE.read_bytes())
        server.serve("/b", encode([*sample_entries(), extra_breach()]))
        await fetch_catalogue(f"{server.base_url}/a", tmp_path, user_agent=AGENT, now=T0)
        other = await fetch_catalogue(f"{server.base_url}/b", tmp_path, user_agent=AGENT, now=T0)
    assert len(other) == 13 and [path for path, _ in server.requests] == ["/a", "/b"]


async def test_a_local_file_is_read_as_is(tmp_path: Path) -> None:
    assert len(await fetch_catalogue(str(SAMPLE), tmp_path, now=T0)) == 12
    assert not list(tmp_path.iterdir())
    with pytest.raises(CatalogueError, match="cannot read the breach catalogue"):
        await fetch_catalogue(str(tmp_path / "missing.json"), tmp_path, now=T0)
