"""Accessibility basics on every portal page: a name for every control, keyboard focus
that can be seen, and text that can be read (WCAG AA contrast)."""

from __future__ import annotations

from typing import Any

import pytest

from zhiyuan_cli.supervisor import System

from .test_portals import login_with_token, raw_token

pytestmark = pytest.mark.e2e

# Every visible input, select and textarea without an accessible name (a <label>, an
# aria-label or aria-labelledby), described so a failure says which one.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""

# Text whose colour against the first opaque background behind it is below 4.5:1
# (3:1 for large text), by the WCAG 2 relative-luminance formula.
LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.offsetParent === null) continue;
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
    if (!text) continue;
    const style = getComputedStyle(el);
    const fg = rgb(style.color);
    if (fg.length === 4 && fg[3] < 1) continue;
    const [a, b] = [lum(fg.slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) low.push(`${text.slice(0, 30)}: ${ratio.toFixed(2)} < ${needed}`);
  }
  return low;
}"""

# Tab through the page: every stop is a control, and each shows that it has the focus.
KEYBOARD_STOP = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
          || style.boxShadow !== 'none'};
}"""

PAGES = ["/", "/portal/volunteer.html", "/portal/organizer.html", "/portal/admin.html",
         "/portal/screen.html?scope=110105", "/portal/verify.html"]


@pytest.mark.parametrize("path", PAGES)
def test_every_control_is_named_text_is_readable_and_focus_is_visible(page: Any, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    stops = []
    for _ in range(8):
        page.keyboard.press("Tab")
        stop = page.evaluate(KEYBOARD_STOP)
        if stop["tag"] == "BODY":  # past the last control: the focus left the page
            break
        stops.append(stop)
    assert stops, "the keyboard reaches no control"
    assert all(s["tag"] in {"A", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "SUMMARY"} for s in stops), stops
    assert all(s["visible"] for s in stops), stops


def test_the_admin_forms_behind_the_login_are_named_and_readable(system: System, page: Any) -> None:
    login_with_token(page, "admin", raw_token(system, "city_admin"))
    for tab in ("概览", "队伍、站点与单位", "代为登记志愿者"):
        page.get_by_text(tab, exact=True).first.click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNLABELLED) == [], tab
        assert page.evaluate(LOW_CONTRAST) == [], tab
