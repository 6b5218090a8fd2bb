"""Echap's stalkerware indicators: parsing ioc.yaml, matching what a user types, loading, downloading."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.lookups.download import DownloadError
from bot.lookups.stalkerware import Indicators, IndicatorsError, download_indicators, load_indicators
from tests.support.data_server import data_server

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "data" / "ioc-sample.yaml"
REAL = Path("/work/shared/data/stalkerware-indicators/ioc.yaml")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="Echap's ioc.yaml is not on this machine")
MSPY_QUERIES = [
    "mSpy", "mspy", " M Spy ", "eyeZy", "EYEZY", "Eye-Zy", "KidSecured", "com.mspy.lite", "COM.MSPY.LITE ",
    "com.eyezy.android", "mspy.com", "www.mspy.com", "https://www.mspy.com/x?y=1", "MSPY.COM.", "eyezy.com",
]  # fmt: skip
NOT_LISTED = [
    "com.whatsapp",
    "WhatsApp",
    "whatsapp.com",
    "spy",
    "",
    "  ",
    "com.mspy",
    "mspy.com.evil.example",
    "m" * 400,
]


@pytest.fixture(scope="module")
def sample() -> Indicators:
    return Indicators.parse(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def real() -> Indicators:
    return Indicators.parse(REAL.read_bytes())


def test_the_sample_parses_into_apps(sample: Indicators) -> None:
    assert [app.name for app in sample.apps] == ["TheTruthSpy", "Cerberus", "mSpy", "EasyPhoneTrack", "SpyPhoneApp"]
    mspy = sample.apps[2]
    assert "eyeZy" in mspy.aliases and "mSpy" not in mspy.aliases  # the app's own name is not an alias
    assert "com.mspy.lite" in mspy.packages and "mspy.com" in mspy.websites
    assert "getmspy.net" in mspy.websites  # distribution sites count as websites
    assert "a.thd.cc" in mspy.c2


@pytest.mark.parametrize("query", MSPY_QUERIES)
def test_mspy_is_found_by_name_alias_package_domain_or_url(sample: Indicators, query: str) -> None:
    found = sample.find(query)
    assert found is not None and found.name == "mSpy"


@pytest.mark.parametrize("query", NOT_LISTED)
def test_what_is_not_in_the_list_finds_nothing(sample: Indicators, query: str) -> None:
    assert sample.find(query) is None


def test_accents_and_c2_domains(sample: Indicators) -> None:
    assert (found := sample.find("Cerbérus")) is not None and found.name == "Cerberus"
    assert (found := sample.find("a.thd.cc")) is not None and found.name == "mSpy"


def test_an_indicator_two_apps_share_gives_the_first_in_the_file(sample: Indicators) -> None:
    shared = "com.spappm_mondow.alarm"
    assert shared in sample.apps[3].packages and shared in sample.apps[4].packages
    assert (found := sample.find(shared)) is not None and found.name == "EasyPhoneTrack"
    assert (found := sample.find("SpyPhoneApp")) is not None and found.name == "SpyPhoneApp"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"- name: [unclosed", "not valid YAML"),
        (b"name: mSpy\n", "a non-empty YAML list of apps"),
        (b"[]", "a non-empty YAML list of apps"),
        (b"- just a string\n", "app #0: expected a mapping"),
        (b"- names: [mSpy]\n", "app #0: 'name' must be a non-empty string"),
        (b"- name: mSpy\n  packages: com.mspy.lite\n", "app #0 ('mSpy'): 'packages' must be a list of strings"),
        (b"- name: mSpy\n  c2: [a.thd.cc]\n", "'c2' must be a mapping"),
        (b"- name: x\n  names: !!python/object/apply:os.system [echo]\n", "not valid YAML"),  # safe loader only
        (b"#" * (8 * 1024 * 1024 + 1), "over"),
    ],
)
def test_a_malformed_file_says_what_is_wrong(raw: bytes, fragment: str) -> None:
    with pytest.raises(IndicatorsError) as caught:
        Indicators.parse(raw)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


@needs_real
def test_the_real_file_finds_mspy_and_not_whatsapp(real: Indicators) -> None:
    assert len(real) >= 100
    for query in ("com.mspy.lite", "mSpy", "eyeZy"):
        assert (found := real.find(query)) is not None and found.name == "mSpy", query
    assert real.find("com.whatsapp") is None


@needs_real
def test_every_real_app_is_found_by_its_name_and_its_packages_find_an_app(real: Indicators) -> None:
    for app in real.apps:
        assert real.find(app.name) == app, app.name
        for package in app.packages:
            assert real.find(package) is not None, package


def test_load_indicators_returns_none_without_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert load_indicators(None) is None
    assert load_indicators(tmp_path / "ioc.yaml") is None
    assert not caplog.records  # no data yet is normal
    (tmp_path / "ioc.yaml").write_bytes(b"<html>oops</html>")
    with caplog.at_level(logging.WARNING, logger="gaffe.lookups"):
        assert load_indicators(tmp_path / "ioc.yaml") is None
    assert len(caplog.records) == 1 and "unusable" in caplog.records[0].getMessage()
    (tmp_path / "ioc.yaml").write_bytes(SAMPLE.read_bytes())
    assert (loaded := load_indicators(tmp_path / "ioc.yaml")) is not None and len(loaded) == 5


async def test_download_writes_the_file_and_counts_the_apps(tmp_path: Path) -> None:
    target = tmp_path / "data" / "ioc.yaml"
    async with data_server() as server:
        server.serve("/ioc.yaml", SAMPLE.read_bytes())
        assert await download_indicators(f"{server.base_url}/ioc.yaml", target, user_agent="Gaffe-test") == 5
    assert target.read_bytes() == SAMPLE.read_bytes()
    assert server.requests == [("/ioc.yaml", "Gaffe-test")]
    assert [p.name for p in target.parent.iterdir()] == ["ioc.yaml"]  # no temporary file left


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [(200, b"<html>Rate limited</html>", IndicatorsError), (404, b"no", DownloadError), (500, b"", DownloadError)],
)
async def test_a_failed_download_keeps_the_old_copy(
    tmp_path: Path, status: int, body: bytes, error: type[Exception]
) -> None:
    target = tmp_path / "ioc.yaml"
    target.write_bytes(SAMPLE.read_bytes())
    async with data_server() as server:
        server.serve("/ioc.yaml", body, status)
        with pytest.raises(error):
            await download_indicators(f"{server.base_url}/ioc.yaml", target)
    assert target.read_bytes() == SAMPLE.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["ioc.yaml"]


async def test_an_unreachable_server_is_a_download_error(tmp_path: Path) -> None:
    async with data_server() as server:
        url = f"{server.base_url}/ioc.yaml"
    with pytest.raises(DownloadError, match="could not be fetched"):
        await download_indicators(url, tmp_path / "ioc.yaml")
    assert not (tmp_path / "ioc.yaml").exists()
