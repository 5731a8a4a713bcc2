"""The HTML report: one self-contained page with the plots, the verdicts to the second, the
diagnosis and the evidence the ticket carried, and no URL anywhere it could be fetched from."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from supportdrill.report.build import evaluation_of
from supportdrill.report.html import exact_duration, render_html
from supportdrill.report.journal import RunFacts
from supportdrill.report.plots import health_views, views
from supportdrill.timeline import (
    DrillEnded,
    Outcome,
    ReplyClass,
    TicketFiling,
    Timeline,
    VendorReply,
)

from .streamdrill import START, stream_drill, stream_timeline


class _Resources(HTMLParser):
    """Every attribute value and every <style>/<script> text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def external_references(page: str) -> list[str]:
    """Anything in the page a browser could fetch from elsewhere: a URL in an attribute (src,
    href, xlink:href, …), a CSS url() or @import that is not a local #fragment or data: URI."""
    parser = _Resources()
    parser.feed(page)
    found = [
        f"<{tag} {name}={value!r}>"
        for tag, name, value in parser.attributes
        if name != "content"
        and re.search(r"(?i)\b[a-z][a-z0-9+.-]*://|^//", value)
        and not value.startswith("data:")
    ]
    for css in parser.styles:
        found += re.findall(r"(?i)url\(\s*['\"]?(?!#|data:)[^)]*\)|@import[^;]*;", css)
    return found


def _page(timeline: Timeline | None = None) -> str:
    if timeline is None:
        timeline, _ = stream_timeline()
    facts = RunFacts(run_id="run-1", drill=stream_drill())
    return render_html(facts, timeline, evaluation_of(facts, timeline))


def _with_replies_and_body(timeline: Timeline) -> Timeline:
    t0 = next(e.at for e in timeline if e.kind == "ticket.filed")
    filing = TicketFiling(
        at=t0 - timedelta(seconds=1),
        observed_at=t0 - timedelta(seconds=1),
        idempotency_key="supportdrill-run-1",
        subject="[P0][DRILL] Stream degraded from Southeast Asia",
        body="Region: Southeast Asia.\nEvidence:\n  fps 9.0 < 24 <script>alert(1)</script>",
    )
    replies = [
        VendorReply(
            at=t0 + timedelta(seconds=40),
            observed_at=t0 + timedelta(seconds=41),
            message_id="m1",
            classification=ReplyClass.HUMAN,
            author="Dewi",
            author_role="agent",
            excerpt="We see packet loss on our Singapore edge serving Southeast Asia.",
        )
    ]
    return Timeline.of([filing, *timeline.events, *replies])


@pytest.fixture(scope="module")
def page() -> str:
    """Rendering draws two matplotlib figures (seconds on a busy machine): once per module."""
    return _page(_with_replies_and_body(stream_timeline()[0]))


def test_the_page_has_every_section_and_both_plots_inline(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    for section in (
        "<h2>Timeline</h2>",
        "<h2>Verdicts</h2>",
        "<h2>Stream health</h2>",
        "<h2>Diagnosis accuracy</h2>",
        "<h2>Evidence sent in the ticket</h2>",
        "<h2>Every event</h2>",
    ):
        assert section in page, section
    timeline_plot = page.split('<figure id="timeline-plot">', 1)[1].split("</figure>", 1)[0]
    health_plot = page.split('<figure id="health-plot">', 1)[1].split("</figure>", 1)[0]
    assert timeline_plot.startswith("<svg") and health_plot.startswith("<svg")
    # The plots are real matplotlib drawings, with their legends' words as text.
    assert "ticket filed (T0)" in timeline_plot and "vendor message: human" in timeline_plot
    assert "fault active" in health_plot and "MOS" in health_plot


def test_nothing_in_the_page_can_be_fetched(page: str) -> None:
    assert external_references(page) == []
    assert "<script" not in page.split("<pre", 1)[0]  # no script of our own
    assert "default-src 'none'" in page
    assert "<!DOCTYPE svg" not in page and "<?xml" not in page


def test_the_check_itself_finds_external_references() -> None:
    bad = (
        '<html><head><style>body{background:url("https://cdn.example/x.png")}'
        '@import "//cdn.example/a.css";</style></head><body><img src="http://example/x.png">'
        '<a href="#top">ok</a><img src="data:image/png;base64,AA"></body></html>'
    )
    assert len(external_references(bad)) == 3


def test_the_ticket_body_is_shown_escaped(page: str) -> None:
    body = page.split('<pre id="ticket-body">', 1)[1].split("</pre>", 1)[0]
    assert "Region: Southeast Asia.\nEvidence:" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "[P0][DRILL] Stream degraded from Southeast Asia" in page


def test_the_diagnosis_quotes_the_vendor(page: str) -> None:
    section = page.split("<h2>Diagnosis accuracy</h2>", 1)[1].split("<h2>", 1)[0]
    # Right and wrong in one reply: a hedge, counted correct, the wrong part still shown.
    assert "correct: the vendor named the fault&#x27;s region and kind" in section
    assert "<blockquote>We see packet loss on our Singapore edge serving Southeast Asia."
    assert "region Southeast Asia, kind loss" in section and "region Singapore" in section


def test_verdicts_are_to_the_second() -> None:
    page = _page()
    table = page.split('<table id="verdicts">', 1)[1].split("</table>", 1)[0]
    assert "Detection latency" in table
    assert '<td class="num">3s</td>' in table  # fault at 12 s, degraded at 15 s
    assert "2026-11-20 20:00:12Z (Sat 03:00:12 WIB)" in table


def test_a_run_without_ticket_or_stream() -> None:
    ended = DrillEnded(at=START, observed_at=START, outcome=Outcome.ABORTED, reason="no desk")
    page = _page(Timeline.of([ended]))
    assert "No ticket was filed." in page
    assert "<h2>Stream health</h2>" not in page
    assert "not applicable: no fault injected or no ticket filed" in page


def test_a_body_not_recorded_says_so() -> None:
    timeline, _ = stream_timeline()
    t0 = next(e.at for e in timeline if e.kind == "ticket.filed")
    filing = TicketFiling(at=t0, observed_at=t0, idempotency_key="k")
    page = _page(Timeline.of([filing, *timeline.events]))
    assert "The body was not recorded for this run" in page


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0s"),
        (900, "15m 0s"),
        (900.0004, "15m 0.001s"),  # just over a 15 m target: never shown as 15m 0s
        (195_314, "2d 6h 15m 14s"),
        (0.8953, "0.896s"),
        (-61, "−1m 1s"),
    ],
)
def test_exact_duration(seconds: float | None, text: str) -> None:
    assert exact_duration(seconds) == text


def test_long_runs_get_zoomed_views() -> None:
    timeline, _ = stream_timeline()
    assert [v.title for v in views(timeline)] == ["whole run"]
    assert [v.title for v in health_views(timeline)] == ["whole run"]
    late = DrillEnded(
        at=START + timedelta(hours=5),
        observed_at=START + timedelta(hours=5),
        outcome=Outcome.COMPLETED,
    )
    long_run = Timeline.of([*timeline.events, late])
    assert [v.title for v in views(long_run)] == ["whole run", "zoom: fault, detection and filing"]
    assert [v.title for v in health_views(long_run)] == [
        "whole run",
        "zoom: fault injected, detection",
        "zoom: fault lifted, recovery",
    ]
    assert views(Timeline()) == () and health_views(Timeline()) == ()
