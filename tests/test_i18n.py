"""Languages: the zh-CN catalogue covers every text of the report, formats follow the locale."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xueliang.errors import ConfigError
from xueliang.i18n import LANGUAGES, negotiate, translator

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "xueliang/report/templates/report.html.j2"


def template_texts() -> set[str]:
    """Every literal the report template translates: _("...") and "..."|tr."""
    text = TEMPLATE.read_text(encoding="utf-8")
    found = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"', text)) | set(re.findall(r'"((?:[^"\\]|\\.)*)"\|tr', text))
    return {f.replace('\\"', '"') for f in found}


def test_every_report_text_has_a_chinese_translation() -> None:
    zh = translator("zh-CN")
    texts = template_texts()
    assert len(texts) > 50
    same = {"SHA-256"}  # the same in both languages
    missing = sorted(t for t in texts - same if zh.gettext(t) == t)
    assert not missing, missing
    # placeholders survive translation
    for t in texts:
        assert sorted(re.findall(r"%\(\w+\)s", t)) == sorted(re.findall(r"%\(\w+\)s", zh.gettext(t))), t


def test_target_classes_use_the_programmes_words() -> None:
    zh = translator("zh-CN")
    words = {k: zh.gettext(k) for k in ("intersections", "main_road_nodes", "crowded_areas", "key_sites")}
    assert words == {
        "intersections": "路口",
        "main_road_nodes": "主干道关键节点",
        "crowded_areas": "人员密集区域",
        "key_sites": "重点部位",
    }
    assert zh.gettext("boundary_crossings") == "村镇边界出入口"
    assert translator("en").gettext("key_sites") == "key_sites"  # English is the source: no catalogue


def test_formats_follow_the_locale() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert zh.number(1234567.5, 1) == "1,234,567.5" and en.number(33317) == "33,317"
    assert zh.percent(0.184) == "18.4%" and en.percent(0.8) == "80.0%"
    at = dt.datetime(2024, 5, 1, 17, 12, tzinfo=dt.UTC)
    assert zh.datetime(at).startswith("2024年5月2日 01:12:00") and zh.datetime(at).endswith("(+08:00)")
    assert en.datetime(at) == "2024-05-01 17:12:00 UTC"
    with pytest.raises(ConfigError, match="expected one of en, zh-CN, got 'fr'"):
        translator("fr")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-GB,en;q=0.9,zh;q=0.5", "en"),
        ("en;q=0.4, zh-TW;q=0.6", "zh-CN"),
        ("fr-FR,fr;q=0.9", "en"),
        ("", "en"),
        (None, "en"),
        ("zh;q=abc, en", "en"),
    ],
)
def test_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang


@given(st.text(max_size=200))
def test_accept_language_any_header_gives_a_supported_language(header: str) -> None:
    assert negotiate(header) in LANGUAGES


def test_report_in_chinese(tmp_path: Path) -> None:
    """The report of the sample town's coverage, in zh-CN: section titles and class names translated."""
    from click.testing import CliRunner

    from xueliang.cli import cli

    cov = tmp_path / "cov"
    town, cams = ROOT / "sample_media/town.osm", ROOT / "sample_media/cameras.csv"
    r = CliRunner().invoke(cli, ["coverage", "--osm", str(town), "--cameras", str(cams), "--out", str(cov), "--no-map"])
    assert r.exit_code == 0, r.output
    for lang in ("zh-CN", "en"):
        r = CliRunner().invoke(
            cli, ["report", "--coverage", str(cov), "--out", str(tmp_path / lang), "--no-pdf", "--lang", lang]
        )
        assert r.exit_code == 0, r.output
    zh = (tmp_path / "zh-CN/report.html").read_text(encoding="utf-8")
    en = (tmp_path / "en/report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh and "<h2>一、建设目标达标情况</h2>" in zh
    assert "<td>路口</td>" in zh and "<td>重点部位</td>" in zh and "(+08:00)" in zh
    assert "Compliance with the programme" not in zh
    assert "<h2>1. Compliance with the programme's targets</h2>" in en and "<td>intersections</td>" in en
