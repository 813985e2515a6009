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


# --- every marked text translated; the command line in the user's language -------------------------------------


def test_every_marked_text_has_a_chinese_translation() -> None:
    """Babel extracts every text the code marks (_, N_, tr, T, gettext) from the CLI, the web app's templates and
    page scripts, the report and its charts: each must have a zh_CN translation with the same placeholders."""
    from tests.catalogue import marked_texts

    zh = translator("zh-CN")
    marked = marked_texts()
    assert len(marked) > 350
    assert {"Add camera", "error: %(message)s", "workbench ready: %(n)s cameras", "covered (%)"} <= set(marked)
    # the command line's help texts and Click's own texts are extracted too
    assert {"Output folder.", "Usage:", "Show this message and exit.", "No such option {name!r}."} <= set(marked)
    assert "Invalid value for {param_hint}: {message}" in marked and "expected a whole number, got %(value)s" in marked
    same = {"SHA-256"}
    missing = sorted(
        f"{where}: {text!r}" for text, where in marked.items() if text not in same and zh.gettext(text) == text
    )
    assert not missing, "texts without a zh_CN translation (add them to messages.po):\n" + "\n".join(missing)
    for text in marked:
        assert sorted(re.findall(r"%\(\w+\)s", text)) == sorted(re.findall(r"%\(\w+\)s", zh.gettext(text))), text


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh-CN"),
        ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LC_ALL": "fr_FR.UTF-8"}, "en"),
        ({"XUELIANG_LANG": "zh-CN", "LC_ALL": "en_GB.UTF-8"}, "zh-CN"),
        ({"XUELIANG_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"XUELIANG_LANG": "zh_CN"}, "zh-CN"),
    ],
)
def test_command_line_language_from_the_environment(env: dict[str, str], lang: str) -> None:
    from xueliang.i18n import environment_language

    assert environment_language(env) == lang


def test_unreadable_xueliang_lang_is_refused() -> None:
    from xueliang.i18n import environment_language

    with pytest.raises(ConfigError, match=r"\$XUELIANG_LANG: expected one of en, zh-CN, got 'klingon'"):
        environment_language({"XUELIANG_LANG": "klingon"})


def test_errors_translate_the_fixed_part_and_keep_the_values() -> None:
    from xueliang.errors import InputError, NotFoundError
    from xueliang.i18n.errors import translate_error

    zh, en = translator("zh-CN"), translator("en")
    exc = InputError("cams.csv", "expected one of fixed, ptz, got 'dome'", where="row 12", field="kind")
    assert translate_error(exc, zh) == "cams.csv: 第 12 行: 'kind': 应为 fixed, ptz 之一，实际为 'dome'"
    assert translate_error(exc, en) == str(exc)
    assert translate_error(NotFoundError("sighting 99 not found"), zh) == "未找到过车记录 99"
    odd = InputError("x.json", "something no shape describes")  # stays English rather than guessed
    assert translate_error(odd, zh) == "x.json: something no shape describes"


def _coverage_args(out: Path) -> list[str]:
    town, cams = ROOT / "sample_media/town.osm", ROOT / "sample_media/cameras.csv"
    return ["coverage", "--osm", str(town), "--cameras", str(cams), "--out", str(out), "--no-map"]


def test_cli_in_chinese_with_lang_env_and_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real command in zh-CN by --lang, by $XUELIANG_LANG and by LANG; English when nothing says otherwise."""
    from click.testing import CliRunner

    from xueliang.cli import cli

    for var in ("XUELIANG_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    r = CliRunner().invoke(cli, ["--lang", "zh-CN", *_coverage_args(tmp_path / "cov")])
    assert r.exit_code == 0, r.output
    assert "sample_media/town.osm 的覆盖（识别级，125 像素/米），米制坐标系 EPSG:32649：" in r.output
    assert "  路口" in r.output and "已覆盖 " in r.output and "（18.4%）" in r.output
    assert "村镇：2 个单元中 2 个有 6 路以上通道" in r.output
    assert "covered" not in r.output and "results in" not in r.output
    monkeypatch.setenv("XUELIANG_LANG", "zh-CN")
    r = CliRunner().invoke(cli, _coverage_args(tmp_path / "cov"))
    assert "结果在" in r.output
    monkeypatch.delenv("XUELIANG_LANG")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    r = CliRunner().invoke(cli, _coverage_args(tmp_path / "cov"))
    assert "结果在" in r.output
    r = CliRunner().invoke(cli, ["--lang", "en", *_coverage_args(tmp_path / "cov")])
    assert "results in" in r.output and "结果" not in r.output
    monkeypatch.delenv("LANG")
    r = CliRunner().invoke(cli, _coverage_args(tmp_path / "cov"))
    assert "intersections             7 of 38     covered (18.4%) at recognition" in r.output


def test_cli_error_in_chinese(tmp_path: Path) -> None:
    """An error as one Chinese line: the fixed part translated, the file name and the value as given."""
    import subprocess
    import sys

    bad = tmp_path / "cams.csv"
    bad.write_text("id,lon,lat,heading\nC1,112.9,28.2,400\n", encoding="utf-8")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [
        sys.executable,
        "-m",
        "xueliang",
        "--lang",
        "zh-CN",
        "cameras",
        "import",
        str(bad),
        "--db",
        f"sqlite:///{tmp_path}/x.db",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**env, "XUELIANG_LANG": "en"}, timeout=300)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith(f"错误：{bad}: ") and "'heading'" in lines[0] and "400" in lines[0]
    assert "实际为 400" in lines[0] or "实际为 '400'" in lines[0], lines[0]
    r = subprocess.run(
        cmd[:3] + cmd[5:], capture_output=True, text=True, env={**env, "XUELIANG_LANG": "zh-CN"}, timeout=300
    )
    assert r.returncode == 2 and r.stderr.startswith("错误：")
    r = subprocess.run(
        cmd[:3] + cmd[5:], capture_output=True, text=True, env={**env, "XUELIANG_LANG": "xx"}, timeout=300
    )
    assert r.returncode == 2 and r.stderr.strip() == "error: $XUELIANG_LANG: expected one of en, zh-CN, got 'xx'"


def test_charts_fall_back_to_english_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    from xueliang.report import charts

    family = charts.cjk_font()
    t, warning = charts.chart_language(translator("zh-CN"))
    if family is None:
        assert t.lang == "en" and warning is not None
    else:
        assert t.lang == "zh-CN" and warning is None
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    t, warning = charts.chart_language(translator("zh-CN"))
    assert t.lang == "en" and warning == (
        "no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk): charts in English"
    )
    assert charts.chart_language(translator("en")) == (translator("en"), None)


def test_cli_times_in_the_languages_zone() -> None:
    """Times a command prints: as stored in English, in Asia/Shanghai with its offset in zh-CN."""
    from xueliang.cli._lang import iso_time, use_language

    at = dt.datetime(2024, 5, 1, 17, 12, tzinfo=dt.UTC)
    try:
        use_language("zh-CN")
        assert iso_time(at) == "2024-05-02T01:12:00+08:00"
        assert iso_time(at.replace(tzinfo=None)) == "2024-05-02T01:12:00+08:00"  # no zone: UTC
        use_language("en")
        assert iso_time(at) == "2024-05-01T17:12:00+00:00"
    finally:
        use_language("en")


# --- Click's own texts and our help texts; usage errors; API errors ----------------------------------------------

#: what may stay in Latin letters in a zh-CN help page: values a user types (levels, roles, kinds, columns),
#: names of formats, tools and GA/T 1400 fields
HELP_LITERALS = {
    *[
        "GeoJSON",
        "OpenAPI",
        "sqlite",
        "Excel",
        "Ultralytics",
        "Ray",
        "actor",
        "local",
        "Spark",
        "master",
        "Parquet",
        "Cookie",
        "Secure",
    ],
    *["detection", "observation", "recognition", "identification", "planner", "investigator", "reviewer", "admin"],
    *["lon", "lat", "weight", "heading", "in_view", "camera_id", "start", "PlanTargets", "PATHs", "argon", "id", "utf"],
    *["MotorVehicleListObject", "MotorVehicleID", "DeviceID", "PassTime", "duckdb", "spark", "polars", "sql"],
    *[
        "visible",
        "covered",
        "absent",
        "unknown",
        "hidden",
        "car",
        "bus",
        "truck",
        "motorcycle",
        "sedan",
        "suv",
        "van",
        "pickup",
    ],
    *["investigate", "link", "xlsx", "json", "csv", "npz", "osm", "ann", "en", "zh", "xueliang"],
}


def english_in_help(text: str) -> list[str]:
    """Latin words of a help page that are neither option names, metavars, commands, choices, defaults,
    `code`, paths, environment variables nor :data:`HELP_LITERALS`."""
    text = re.sub(r"^(用法：|Usage:) .*\n", "", text)  # the usage line: program, command names, metavars
    text = re.sub(r"(?m)^  ([a-z][a-z-]*)(?=\s{2,}|$)", " ", text)  # the names in the list of commands
    text = re.sub(r"X-Forwarded-For|'[^']*'|\b[a-z]+(?:-[a-z]+)+\b", " ", text)  # a header, quoted and typed values
    text = re.sub(r"`[^`]*`|\[[^\]\u4e00-\u9fff]*\]|默认：[^\]]*\]|--?[a-z][a-z0-9-]*|\$\w+|\S*[/.]\S*", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z'_]*", text)
    return [w for w in words if len(w) > 1 and not re.fullmatch(r"[A-Z][A-Z0-9_]*", w) and w not in HELP_LITERALS]


def _commands() -> list[list[str]]:
    import click

    from xueliang.cli import cli

    out: list[list[str]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        out.append(path)
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, [*path, name])

    walk(cli, [])
    return out


def test_help_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    """``xueliang --lang zh-CN --help`` and every command's ``--help``: Click's words and ours in Chinese, only
    option names, metavars and typed values left in Latin letters; English stays the default."""
    from click.testing import CliRunner

    from xueliang.cli import cli

    for var in ("XUELIANG_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    top = CliRunner().invoke(cli, ["--lang", "zh-CN", "--help"], prog_name="xueliang")
    assert top.exit_code == 0, top.output
    assert top.output.startswith("用法： xueliang [OPTIONS] COMMAND [ARGS]...")
    assert "选项：" in top.output and "命令：" in top.output and "显示此帮助并退出。" in top.output
    assert "  cameras        导入并列出摄像机台账" in top.output
    leftover = {}
    for path in _commands():
        r = CliRunner().invoke(cli, ["--lang", "zh-CN", *path, "--help"], prog_name="xueliang")
        assert r.output.startswith("用法： xueliang"), r.output
        assert r.exit_code == 0, r.output
        if english_in_help(r.output):
            leftover[" ".join(path)] = english_in_help(r.output)
    assert not leftover, leftover
    # the check can fail: the English help is full of English words
    en = CliRunner().invoke(cli, ["cameras", "import", "--help"], prog_name="xueliang")
    assert en.output.startswith("Usage: xueliang cameras import") and "Show this message and exit." in en.output
    assert len(english_in_help(en.output)) > 20
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the locale chooses too
    assert "导入摄像机文件" in CliRunner().invoke(cli, ["cameras", "import", "--help"]).output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["cameras", "--foo"], "错误：没有选项 '--foo'。运行 'xueliang cameras --help' 查看帮助。"),
        (["similar", "--sighting", "abc"], "错误：'--sighting' 的值无效：'abc' 不是有效的数值。运行 'xueliang similar"),
        (["coverage"], "错误：缺少选项 '--osm'。运行 'xueliang coverage --help' 查看帮助。"),
        (["nosuch"], "错误：没有命令 'nosuch'。运行 'xueliang --help' 查看帮助。"),
        # Click's "Did you mean" hint follows the full stop with no stray space
        (["covrage"], "错误：没有命令 'covrage'。您是否想用 'coverage'？运行 'xueliang --help' 查看帮助。"),
    ],
)
def test_usage_error_in_chinese_is_one_line(args: list[str], expected: str) -> None:
    """A usage error under --lang zh-CN: one Chinese line on stderr, exit code 2, no traceback (a subprocess, as
    a user runs it)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "XUELIANG_LANG")}
    env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run(
        [sys.executable, "-m", "xueliang", "--lang", "zh-CN", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    r = subprocess.run([sys.executable, "-m", "xueliang", *args], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error: ")


def test_validation_messages_name_the_field_and_what_was_expected() -> None:
    from pydantic import ValidationError

    from xueliang.i18n.validation import validation_line
    from xueliang.web.routes_investigator import SEARCH_LABELS
    from xueliang.web.sightings import SearchForm

    with pytest.raises(ValidationError) as info:
        SearchForm.model_validate({"start": "yesterday", "limit": "0"})
    zh = validation_line(info.value.errors(), translator("zh-CN"), SEARCH_LABELS)
    assert zh == (
        "起（UTC）：应为 ISO 8601 时间，如 2026-11-20T08:00:00Z，实际为 'yesterday'；"
        "数量上限：应为不小于 1 的值，实际为 '0'"
    ), zh
    en = validation_line(info.value.errors(), translator("en"), SEARCH_LABELS)
    assert en.startswith("From (UTC): expected an ISO 8601 time such as 2026-11-20T08:00:00Z, got 'yesterday'; ")


@given(st.lists(st.sampled_from(["--lang", "--lang=zh-CN", "zh-CN", "en", "xx", "-h", "--version", "cameras", ""])))
def test_lang_read_before_parsing_any_command_line(args: list[str]) -> None:
    """``--lang`` is read from a raw command line before Click parses it: a known language or None, never an
    error (Click then reports a bad command line itself), and never an option of the command."""
    from xueliang.cli._lang import language_in_args

    got = language_in_args(args)
    assert got in (None, *LANGUAGES)
    head = args[: args.index("cameras")] if "cameras" in args else args
    if got is not None:
        assert "--lang" in head or "--lang=zh-CN" in head


def test_version_in_chinese() -> None:
    from click.testing import CliRunner

    from xueliang.cli import cli

    r = CliRunner().invoke(cli, ["--lang", "zh-CN", "--version"], prog_name="xueliang")
    assert r.exit_code == 0 and r.output.startswith("xueliang，版本 "), r.output


def test_clicks_texts_keep_their_fields() -> None:
    """Click formats its texts with ``str.format``: a translation may leave a field out (``{number_type}``, an
    English type name) but never name one Click does not pass, and every user-facing Click text is translated."""
    from tests.catalogue import click_texts

    zh = translator("zh-CN")
    texts = click_texts()
    assert {"Usage:", "Missing option", "Invalid value for {param_hint}: {message}"} <= set(texts)
    for text in texts:
        fields = set(re.findall(r"\{(\w+)[^}]*\}", text))
        assert zh.gettext(text) != text, text
        assert set(re.findall(r"\{(\w+)[^}]*\}", zh.gettext(text))) <= fields, text
