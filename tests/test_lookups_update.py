"""`python -m bot update-data` against a local server, and the data settings."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.config import HIBP_URL, STALKERWARE_IOC_URL, Settings
from bot.lookups.breaches import CACHE_FILE
from tests.support.data_server import DataServer, data_server

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "fixtures" / "data"
IOC = (DATA / "ioc-sample.yaml").read_bytes()
BREACHES = (DATA / "hibp-breaches-sample.json").read_bytes()


async def update_data(data_dir: Path, **variables: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAFFE_", "TELEGRAM_"))}
    env.update(GAFFE_DATA_DIR=str(data_dir), **variables)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "update-data", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def urls(server: DataServer) -> dict[str, str]:
    return {
        "GAFFE_STALKERWARE_URL": f"{server.base_url}/ioc.yaml",
        "GAFFE_HIBP_BREACHES": f"{server.base_url}/breaches",
    }


async def test_update_data_downloads_both_files_and_credits_their_authors(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/ioc.yaml", IOC)
        server.serve("/breaches", BREACHES)
        code, out, err = await update_data(tmp_path / "data", **urls(server))
    assert code == 0, err
    assert (tmp_path / "data" / "ioc.yaml").read_bytes() == IOC
    assert (tmp_path / "data" / CACHE_FILE).read_bytes() == BREACHES
    assert "5 apps" in out and "12 breaches" in out
    assert "Echap" in out and "Have I Been Pwned" in out and "CC BY 4.0" in out
    assert sorted(path for path, _ in server.requests) == ["/breaches", "/ioc.yaml"]
    assert all(agent and agent.startswith("Gaffe-bot") for _, agent in server.requests)


async def test_a_failed_source_exits_1_with_one_line_and_keeps_the_old_copy(tmp_path: Path) -> None:
    (tmp_path / "ioc.yaml").write_bytes(IOC)
    async with data_server() as server:
        server.serve("/ioc.yaml", b"<html>maintenance</html>")
        server.serve("/breaches", BREACHES)
        code, out, err = await update_data(tmp_path, **urls(server))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("update-data: stalkerware indicators not updated: ")
    assert (tmp_path / "ioc.yaml").read_bytes() == IOC
    assert "12 breaches" in out  # the other source was still updated


async def test_a_local_breach_file_is_read_not_downloaded(tmp_path: Path) -> None:
    async with data_server() as server:
        server.serve("/ioc.yaml", IOC)
        variables = {**urls(server), "GAFFE_HIBP_BREACHES": str(DATA / "hibp-breaches-sample.json")}
        code, out, err = await update_data(tmp_path, **variables)
    assert code == 0, err
    assert "12 breaches read from" in out and not (tmp_path / CACHE_FILE).exists()


def test_the_data_settings_default_beside_the_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("GAFFE_DATA_DIR", "GAFFE_HIBP_BREACHES", "GAFFE_STALKERWARE_IOC", "GAFFE_STALKERWARE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GAFFE_DB", str(tmp_path / "db" / "gaffe.sqlite3"))
    settings = Settings.from_env()
    assert settings.data_dir == tmp_path / "db" / "gaffe-data"
    assert settings.hibp_breaches == HIBP_URL and settings.stalkerware_url == STALKERWARE_IOC_URL
    assert settings.stalkerware_ioc is None and settings.stalkerware_ioc_path == settings.data_dir / "ioc.yaml"

    monkeypatch.setenv("GAFFE_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GAFFE_STALKERWARE_IOC", str(tmp_path / "my-ioc.yaml"))
    monkeypatch.setenv("GAFFE_HIBP_BREACHES", "/srv/breaches.json")
    settings = Settings.from_env()
    assert settings.data_dir == tmp_path / "elsewhere" and settings.hibp_breaches == "/srv/breaches.json"
    assert settings.stalkerware_ioc_path == tmp_path / "my-ioc.yaml"
