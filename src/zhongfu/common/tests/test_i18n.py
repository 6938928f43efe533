"""Chinese is the default language and every string is translated."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(po_text: str) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) for each entry of a .po file, header excluded."""
    entries = []
    for block in po_text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue  # obsolete entries
        fuzzy = "#, fuzzy" in block or re.search(r"^#,.*fuzzy", block, re.M) is not None
        lines = [ln for ln in block.splitlines() if not ln.startswith("#")]
        current, fields = None, {}
        for ln in lines:
            m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', ln)
            if m:
                current = m.group(1)
                fields[current] = m.group(2)
            elif ln.startswith('"') and current:
                fields[current] += ln[1:-1]
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append((fields["msgid"], strs, fuzzy))
    return entries


def test_every_message_has_a_chinese_translation():
    missing = [msgid for msgid, strs, fuzzy in _entries(CATALOGUE.read_text()) if fuzzy or not all(strs)]
    assert missing == []


def test_catalogue_holds_every_string_of_the_code(tmp_path):
    """Extract the strings afresh (xgettext) and compare: a new string without a translation fails here."""
    work = tmp_path / "zhongfu"
    shutil.copytree(PACKAGE, work, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests"))
    subprocess.run(
        [sys.executable, "-m", "zhongfu", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    fresh = {msgid for msgid, _, _ in _entries((work / "locale/zh_Hans/LC_MESSAGES/django.po").read_text())}
    committed = {msgid for msgid, strs, _ in _entries(CATALOGUE.read_text()) if all(strs)}
    assert sorted(fresh - committed) == []


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(client):
    # An English browser still gets Chinese until the user switches.
    body = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录众扶平台" in body and 'lang="zh-hans"' in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert "Log in to Zhongfu" in body and 'lang="en"' in body
