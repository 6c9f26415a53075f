"""Every word the portals show exists in Chinese and in English.

The pages name their words by key (``data-i18n="org.new_team"`` in the HTML, ``t("slot.left")``
in the modules); ``js/dict.js`` holds one dictionary per language. A key missing from a
dictionary shows as the bare key on the page, so these tests read the static files and fail on
one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import zhiyuan_gateway

STATIC = Path(zhiyuan_gateway.__file__).parent / "portal" / "static"
KEY = r"[A-Za-z_][\w.]*"


def dictionary(language: str) -> set[str]:
    source = (STATIC / "js" / "dict.js").read_text(encoding="utf-8")
    body = re.search(rf"export const {language} = \{{(.*?)\n\}};", source, re.S)
    assert body, f"no {language} dictionary in dict.js"
    # Each entry is `key: "…"` or `"key": "…"`; values never hold a quote, so a key is what
    # directly follows a line start, a comma or the opening brace.
    return set(re.findall(rf'(?:^|[,{{])\s*"?({KEY})"?\s*:\s*"', body.group(1), re.M))


def used_keys() -> dict[str, set[str]]:
    """Keys named literally in the pages and modules (computed ones like `check.${k}` aside)."""
    found: dict[str, set[str]] = {}
    for page in STATIC.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        found[page.name] = set(re.findall(rf'data-i18n(?:-[\w-]+)?="({KEY})"', text))
    for module in (STATIC / "js").glob("*.js"):
        text = module.read_text(encoding="utf-8")
        found[f"js/{module.name}"] = set(re.findall(rf'\bt\("({KEY})"', text)) | set(
            re.findall(rf'initPage\(\{{ title: "({KEY})"', text)
        )
    return found


def test_both_dictionaries_have_the_same_words() -> None:
    zh, en = dictionary("zh"), dictionary("en")
    assert len(zh) > 300  # the parse found the dictionary, not a fragment of it
    assert sorted(zh - en) == [], "in Chinese only"
    assert sorted(en - zh) == [], "in English only"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_word_a_page_names_is_in_the_dictionary(language: str) -> None:
    words = dictionary(language)
    missing = {where: sorted(keys - words) for where, keys in used_keys().items() if keys - words}
    assert missing == {}


def test_the_new_forms_and_slots_are_named() -> None:
    used = set().union(*used_keys().values())
    for key in (
        "org.new_team",
        "org.new_station",
        "org.new_unit",
        "enrol.title",
        "slot.choose",
        "slot.left",
        "report.shown",
    ):
        assert key in used, key
