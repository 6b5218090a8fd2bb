"""`python -m bot preview`: the writers' static site, built by a real process and clicked through in a real
browser (Debian's chromium, driven by selenium through the system chromedriver: nothing is downloaded).

The browser test clicks from the checkup's first question to a result, in French and in English, and saves
a screenshot; every link between nodes and pages is checked to lead somewhere. Without a browser on the
machine the browser test is skipped, except in CI (CI=true), where .ci/run installs one and a skip would hide
a broken preview."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.paths import ROOT

DIALOGUE_ID = re.compile(r"(?m)^dialogue: *([a-z0-9_]+)")
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def preview(out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAFFE_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "preview", str(out)], capture_output=True, text=True, env=env, cwd=ROOT
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "preview"
    done = preview(out)
    assert done.returncode == 0, done.stderr
    return out


class Anchors(HTMLParser):
    """The ids and the links of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))


def anchors(page: Path) -> Anchors:
    parser = Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_dialogue_has_a_page_per_region_and_every_link_leads_somewhere(site: Path) -> None:
    pages = {page.relative_to(site).as_posix(): anchors(page) for page in site.rglob("*.html")}
    ids = {m.group(1) for f in (ROOT / "dialogues").glob("*.yaml") if (m := DIALOGUE_ID.search(f.read_text("utf-8")))}
    regions = {name.split("/")[0] for name in pages if "/" in name}
    assert regions == {"fr", "be", "ch", "ca", "gb", "ie", "us", "other"}
    for region in regions:
        expected = {f"{region}/{i}.html" for i in ids} | {f"{region}/index.html"}
        assert expected == {name for name in pages if name.startswith(f"{region}/")}
    broken = []
    for name, page in pages.items():
        for link in page.links:
            if link.startswith(("http://", "https://")):
                continue
            file, _, anchor = link.partition("#")
            target = pages.get(os.path.normpath(os.path.join(os.path.dirname(name), file)) if file else name)
            if target is None or (anchor and anchor not in target.ids):
                broken.append(f"{name}: {link}")
    assert not broken, broken
    assert "all good" in (site / "index.html").read_text(encoding="utf-8")


def test_the_routes_are_those_of_the_region(site: Path) -> None:
    """The writer reads each region's numbers in the texts: the UK's scam-text route is 7726, France's 33700."""
    assert "7726" in (site / "gb" / "arnaque.html").read_text("utf-8")
    assert "33700" in (site / "fr" / "arnaque.html").read_text("utf-8")
    assert "33700" not in (site / "gb" / "arnaque.html").read_text("utf-8")
    assert "{route." not in (site / "other" / "espion.html").read_text("utf-8")


def test_a_content_problem_is_listed_on_the_index_and_the_exit_code_says_so(tmp_path: Path) -> None:
    dialogues = tmp_path / "dialogues"
    shutil.copytree(ROOT / "dialogues", dialogues)
    broken = (dialogues / "checkup.yaml").read_text(encoding="utf-8").replace("goto: manager", "goto: nowhere", 1)
    (dialogues / "checkup.yaml").write_text(broken, encoding="utf-8")
    env = {**os.environ, "GAFFE_DIALOGUES": str(dialogues), "GAFFE_LOCALES": str(ROOT / "locales")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "preview", str(tmp_path / "out")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "checkup.yaml" in index and "nowhere" in index


def test_the_preview_never_writes_into_a_folder_it_did_not_make(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    done = preview(theirs)
    assert done.returncode == 2 and "holds other files" in done.stderr
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
    again = preview(tmp_path / "ours")
    assert again.returncode == 0 and preview(tmp_path / "ours").returncode == 0  # its own folder: replaced


@pytest.fixture
def browser() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and chromedriver (.ci/run installs them)")
        pytest.skip("no chromium/chromedriver here (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1100,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_writer_clicks_through_the_checkup_to_a_result(
    site: Path, browser: object, language: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    browser.get((site / "index.html").as_uri())
    browser.find_element(By.CSS_SELECTOR, 'a[href="fr/index.html"]').click()  # the region picker: France
    browser.find_element(By.CSS_SELECTOR, 'a[href="checkup.html"]').click()
    assert browser.current_url.endswith("checkup.html")
    node = browser.find_element(By.CSS_SELECTOR, "section.node")  # the first question
    visited = [node.get_attribute("id")]
    while "result" not in (node.get_attribute("class") or "").split() and len(visited) < 60:
        buttons = node.find_elements(By.CSS_SELECTOR, f'div[lang="{language}"] a.button')
        assert buttons, f"a dead end at {visited[-1]}"
        buttons[0].click()  # the first answer each time: the best one, or a branch's first case
        target = browser.current_url.partition("#")[2]
        node = browser.find_element(By.ID, target)
        visited.append(target)
    assert "result" in (node.get_attribute("class") or "").split(), visited
    bubble = node.find_element(By.CSS_SELECTOR, f'div[lang="{language}"] .bubble').text
    assert ("score" in bubble.lower()) and bubble.strip()
    shot = tmp_path / f"preview-checkup-result-{language}.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
