"""The printable certificate: one A4 page, Chinese set in an embedded TrueType font, a QR code.

The font is WenQuanYi Micro Hei (文泉驿微米黑, Apache License 2.0), a TrueType (glyf) font
shipped on PyPI by ``paperang-p2-fonts-cjk``; reportlab embeds the subset of glyphs a
certificate uses, so the PDF shows the same on every reader. Should the package be missing,
the page falls back to reportlab's built-in CID font ``STSong-Light`` (not embedded: the
reader supplies a Song face) and says so in the log.
"""

from __future__ import annotations

import importlib.resources
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from zhiyuan_platform.logging import get_logger

from .domain import BASIS, ISSUER, display_code, hours

log = get_logger("zhiyuan.recognition.certificates")

FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_RESOURCE = ("fonts", "wqy-microhei.ttc")
FONT_NAME = "WenQuanYiMicroHei"  # also the PostScript name reportlab writes as /BaseFont
FALLBACK_FONT = "STSong-Light"
ACCENT = colors.HexColor("#b4232a")
# Enough for nearly everyone; beyond, the rest are summed in one line so the page stays one page.
MAX_CONTENT_LINES = 6
MAX_ORGANIZATION_LINES = 4


@dataclass(frozen=True)
class FontChoice:
    name: str
    embedded: bool
    description: str


_lock = threading.Lock()
_render_lock = threading.Lock()  # reportlab keeps per-font subsetting state: one page at a time
_font: FontChoice | None = None


def font() -> FontChoice:
    """Register the certificate's font with reportlab once per process and say which it is."""
    global _font
    with _lock:
        if _font is None:
            _font = _register()
        return _font


def _register() -> FontChoice:
    try:
        resource = importlib.resources.files(FONT_PACKAGE).joinpath(*FONT_RESOURCE)
        with importlib.resources.as_file(resource) as path:
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
        return FontChoice(FONT_NAME, True, "WenQuanYi Micro Hei (Apache-2.0), embedded subset")
    except Exception as exc:  # the package is missing or the file unreadable
        log.warning("certificate.font_fallback", wanted=FONT_NAME, fallback=FALLBACK_FONT, error=str(exc))
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return FontChoice(FALLBACK_FONT, False, "STSong-Light (built-in CID font, not embedded)")


def _styles(face: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=face, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=24, leading=32, alignment=1, textColor=ACCENT),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=10, leading=14, alignment=1, textColor=colors.grey
        ),
        "body": ParagraphStyle("body", parent=base, fontSize=11.5, leading=19, firstLineIndent=23),
        "label": ParagraphStyle("label", parent=base, fontSize=10.5, leading=14),
        "label_en": ParagraphStyle("label_en", parent=base, fontSize=7.5, leading=10, textColor=colors.grey),
        "value": ParagraphStyle("value", parent=base, fontSize=10.5, leading=15),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8.5, leading=12.5, textColor=colors.HexColor("#333333")
        ),
    }


def _chinese_date(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day.year}年{day.month}月{day.day}日"


def _team_text(org: Mapping[str, Any]) -> str:
    if org.get("name"):
        return str(org["name"])
    if org.get("team_id"):
        return f"服务队 {org['team_id']}"
    return "（未注明记录单位 / not stated）"


def _lines(items: list[tuple[str, int, int]], limit: int, others: str) -> str:
    """One line per item (already in descending order); past ``limit`` the rest are summed up."""
    if not items:
        return "—"
    shown, rest = (items, []) if len(items) <= limit else (items[: limit - 1], items[limit - 1 :])
    if rest:
        shown = [*shown, (others.format(n=len(rest)), sum(r[1] for r in rest), sum(r[2] for r in rest))]
    return "<br/>".join(f"{text}：{records} 次，{hours(minutes)} 小时" for text, records, minutes in shown)


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def render_pdf(snapshot: Mapping[str, Any], *, full_name: str, code: str, url: str) -> bytes:
    """The certificate for ``snapshot``, naming the volunteer in full (only on this page)."""
    face = font().name
    with _render_lock:
        return _render(face, snapshot, full_name=full_name, code=code, url=url)


def _render(face: str, snapshot: Mapping[str, Any], *, full_name: str, code: str, url: str) -> bytes:
    s = _styles(face)
    volunteer = snapshot["volunteer"]
    service = snapshot["service"]

    def p(text: str, style: str = "value") -> Paragraph:
        return Paragraph(text, s[style])

    def label(zh: str, en: str) -> list[Paragraph]:
        return [p(zh, "label"), p(en, "label_en")]

    content = _lines(
        [(escape(str(c["label"])), int(c["records"]), int(c["minutes"])) for c in service["content"]],
        MAX_CONTENT_LINES,
        "其他 {n} 类服务",
    )
    organizations = _lines(
        [(escape(_team_text(o)), int(o["records"]), int(o["minutes"])) for o in snapshot["organizations"]],
        MAX_ORGANIZATION_LINES,
        "其他 {n} 个记录单位",
    )
    period = (
        f"{_chinese_date(service['first_served_on'])} 至 {_chinese_date(service['last_served_on'])}"
        if service.get("first_served_on")
        else "—"
    )
    rows = [
        [label("姓名", "Name"), p(escape(full_name))],
        [label("证件类型", "ID type"), p(escape(volunteer["id_type_label"]))],
        [label("证件号码", "ID number"), p(escape(volunteer["id_number_masked"]))],
        [label("志愿者注册编号", "Registration No."), p(escape(volunteer["registration_no"]))],
        [
            label("服务时间", "Service time"),
            p(f"<font size=13>{service['hours']}</font> 小时（{service['total_minutes']} 分钟）"),
        ],
        [label("服务内容", "Service content"), p(content)],
        [
            label("服务记录", "Records"),
            p(f"{service['records']} 条记录，参加 {service['activities']} 项活动；服务期间 {period}"),
        ],
        [label("记录单位", "Recording organizations"), p(organizations)],
        [label("证明编号", "Certificate No."), p(escape(snapshot["certificate_no"]))],
        [label("出具日期", "Issue date"), p(_chinese_date(snapshot["issue_date"]))],
        [label("出具平台", "Issued by"), p(f"{escape(ISSUER)}（免费出具 / free of charge）")],
    ]
    table = Table(rows, colWidths=[40 * mm, 130 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f6efe6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    verify = [
        p(f"验证码 Verification code：<font size=13>{display_code(code)}</font>", "value"),
        p(f"核验网址 Verify at：{escape(url)}", "small"),
        Spacer(1, 2 * mm),
        p(
            f"本证明依据{escape(BASIS)}，根据志愿服务记录免费出具，不收取任何费用。"
            "任何人无需登录即可扫描二维码或访问上述网址核验真伪，证明内容以核验结果为准；"
            "已撤销或已被新证明取代的证明将在核验时注明。",
            "small",
        ),
        p(
            "Issued free of charge from the recorded service. Anyone can verify it, without logging in, "
            "by scanning the QR code or opening the address above; a revoked or superseded certificate "
            "is shown as such.",
            "small",
        ),
    ]
    footer = Table([[_qr(url, 34 * mm), verify]], colWidths=[40 * mm, 130 * mm])
    footer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story = [
        p("志愿服务记录证明", "title"),
        p("Certificate of Volunteer Service Record", "subtitle"),
        Spacer(1, 5 * mm),
        p(
            f"兹证明 {escape(full_name)}（志愿者注册编号 {escape(volunteer['registration_no'])}）"
            f"经 {escape(ISSUER)} 平台记录的志愿服务情况如下：",
            "body",
        ),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 5 * mm),
        footer,
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=15 * mm,
        title=f"志愿服务记录证明 {snapshot['certificate_no']}",
        author=ISSUER,
        subject="志愿服务记录证明 / Certificate of Volunteer Service Record",
        creator=ISSUER,
    )
    document.build(story)
    return buffer.getvalue()
