"""The story-check engine: its selectors match what they should and checks can fail."""

from __future__ import annotations

import pytest

from chatui.gallery import checks as checks_module
from chatui.gallery import dom
from chatui.gallery.checks import parse_check, run_checks
from chatui.gallery.dom import parse_html, select, text_of

HTML = """
<div data-callout data-phase="failed" class="callout callout--failed">
  <h2 data-callout-title>Request failed</h2>
  <span class="kind-pill" data-kind-pill data-kind="rate_limit">Rate limit</span>
  <p data-detail>a &lt;b&gt; b<br>c</p>
  <img src="x"><input name="q" disabled>
  <ul><li data-x="1">one</li><li data-x="2">two <em>deep</em></li></ul>
  <script>var hidden = "Retryable";</script>
  <template><p data-inert>Retryable</p></template>
</div>
<p data-outside>outside</p>
"""


def test_all_lists_the_public_names() -> None:
    assert set(dom.__all__) == {"Node", "parse_html", "select", "text_of"}
    assert set(checks_module.__all__) == {
        "CHECK_KINDS",
        "Check",
        "CheckResult",
        "parse_check",
        "run_checks",
    }


@pytest.mark.parametrize(
    ("selector", "count"),
    [
        pytest.param("[data-callout]", 1, id="valueless_attribute"),
        pytest.param('[data-phase="failed"]', 1, id="quoted_value"),
        pytest.param("[data-phase=failed]", 1, id="bare_value"),
        pytest.param("[data-phase='retrying']", 0, id="wrong_value"),
        pytest.param(".kind-pill", 1, id="class"),
        pytest.param("div.callout--failed[data-callout]", 1, id="compound"),
        pytest.param("li", 2, id="tag"),
        pytest.param("[data-callout] li", 2, id="descendant"),
        pytest.param("ul > li", 2, id="child"),
        pytest.param("[data-callout] > li", 0, id="child_is_not_descendant"),
        pytest.param("[data-callout] em", 1, id="deep_descendant"),
        pytest.param("[data-callout] [data-outside]", 0, id="sibling_is_not_descendant"),
        pytest.param("img", 1, id="void_element"),
        pytest.param("[data-callout] input[disabled]", 1, id="void_element_keeps_parent"),
        pytest.param("[data-detail] b", 0, id="escaped_markup_is_text"),
        pytest.param("*", 14, id="universal"),
        pytest.param("[data-inert]", 0, id="template_content_is_inert"),
        pytest.param("template", 1, id="template_element_itself"),
    ],
)
def test_selectors(selector: str, count: int) -> None:
    assert len(select(parse_html(HTML), selector)) == count


@pytest.mark.parametrize("selector", ["a, b", "a:hover", "a ~ b", ""])
def test_unsupported_selectors_are_refused(selector: str) -> None:
    with pytest.raises(ValueError):
        select(parse_html(HTML), selector)


def test_text_folds_whitespace_and_skips_scripts() -> None:
    root = parse_html(HTML)
    assert text_of(select(root, "[data-detail]")[0]) == "a <b> b c"
    assert "Retryable" not in text_of(root)


@pytest.mark.parametrize(
    ("raw", "passes"),
    [
        pytest.param({"exists": "[data-callout]"}, True, id="exists_holds"),
        pytest.param({"exists": "[data-usage-link]"}, False, id="exists_fails"),
        pytest.param({"absent": "[data-usage-link]"}, True, id="absent_holds"),
        pytest.param({"absent": "[data-kind-pill]"}, False, id="absent_fails"),
        pytest.param({"count": ["li", 2]}, True, id="count_holds"),
        pytest.param({"count": ["li", 3]}, False, id="count_fails"),
        pytest.param({"text": ["[data-kind-pill]", "Rate limit"]}, True, id="text_holds"),
        pytest.param({"text": ["[data-kind-pill]", "rate_limit"]}, False, id="text_is_exact"),
        pytest.param({"text": ["[data-nothing]", "x"]}, False, id="text_of_nothing_fails"),
        pytest.param(
            {"text_matches": ["[data-callout-title]", "Request \\w+"]}, True, id="regex_holds"
        ),
        pytest.param(
            {"text_matches": ["[data-callout-title]", "Request"]}, False, id="regex_is_full_match"
        ),
        pytest.param(
            {"attr": ["[data-callout]", "data-phase", "failed"]}, True, id="attr_value_holds"
        ),
        pytest.param(
            {"attr": ["[data-callout]", "data-phase", "retrying"]}, False, id="attr_value_fails"
        ),
        pytest.param({"attr": ["input", "disabled"]}, True, id="attr_presence_holds"),
        pytest.param({"attr": ["img", "disabled"]}, False, id="attr_presence_fails"),
        pytest.param({"has_text": "Request failed"}, True, id="has_text_holds"),
        pytest.param({"has_text": "View usage"}, False, id="has_text_fails"),
        pytest.param({"no_text": "Retryable"}, True, id="no_text_ignores_scripts"),
        pytest.param({"no_text": "Rate limit"}, False, id="no_text_fails"),
        pytest.param({"no_text_matches": "(?i)provider \\w+"}, True, id="no_text_matches_holds"),
        pytest.param({"no_text_matches": "one\\s+two"}, False, id="no_text_matches_fails"),
    ],
)
def test_checks_hold_or_fail(raw: dict[str, object], passes: bool) -> None:
    (result,) = run_checks(HTML, [parse_check(raw)])
    assert result.passed is passes
    assert bool(result.problem) is not passes
    assert result.check.description


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"exists": "a", "absent": "b"}, id="two_keys"),
        pytest.param({"shines": "a"}, id="unknown_kind"),
        pytest.param({"count": ["li"]}, id="missing_argument"),
        pytest.param({"text": ["a", "b", "c", "d"]}, id="too_many_arguments"),
        pytest.param({"exists": "a:hover"}, id="unsupported_selector"),
        pytest.param({"text_matches": ["a", "("]}, id="bad_regex"),
        pytest.param({"no_text": ""}, id="empty_text"),
        pytest.param("exists", id="not_a_mapping"),
    ],
)
def test_malformed_checks_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_check(raw)  # type: ignore[arg-type]
