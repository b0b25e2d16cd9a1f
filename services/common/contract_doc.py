"""The parts of docs/contract.md that mirror the code, rendered from it so that they cannot drift.

    python -m services.common.contract_doc          # rewrite the generated sections in place
    python -m services.common.contract_doc --check  # exit 1, naming the stale sections, if any is stale

A generated section is the text between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``; all
the rest of the document is written by hand and left as it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import get_args

from services.common import limits
from services.common.events import facts_schema
from services.common.facts import (
    EXTRA_METRICS,
    KNOWN_METRICS,
    SCORED_METRIC_MEANINGS,
    SCORED_METRICS,
    SUBJECT_FORMS,
    SUBJECT_PATTERN,
    Bound,
    Kind,
    TargetType,
    Unit,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
COMMAND = "python -m services.common.contract_doc"

_SECTION = re.compile(
    r"(?P<open><!-- generated:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /generated:(?P=name) -->)",
    re.DOTALL,
)


class ContractDocError(ValueError):
    """The document's markers are broken: a section is missing, unknown or not closed."""


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_metrics() -> str:
    missing = sorted(set(SCORED_METRICS) - set(SCORED_METRIC_MEANINGS))
    if missing:
        raise ContractDocError(f"scored metrics without a meaning in SCORED_METRIC_MEANINGS: {missing}")
    rows = []
    for metric, unit in KNOWN_METRICS.items():
        if metric in SCORED_METRICS:
            rows.append((f"`{metric}`", f"`{unit}`", "yes", SCORED_METRIC_MEANINGS[metric]))
        else:
            base = metric.removesuffix("_change")
            rows.append((f"`{metric}`", f"`{unit}`", "no", f"signed change of `{base}`"))
    summary = (
        f"{len(KNOWN_METRICS)} metric ids: {len(SCORED_METRICS)} scored, {len(EXTRA_METRICS)} more that are "
        "published but not scored. Any other id is refused."
    )
    return summary + "\n\n" + _table(("metric", "unit", "scored", "what it measures"), rows)


def render_enums() -> str:
    def values(literal: object, *, nullable: bool = False) -> str:
        listed = [f"`{value}`" for value in get_args(literal)]
        return ", ".join([*listed, "null"] if nullable else listed)

    rows = [
        ("`kind`", values(Kind)),
        ("`unit`", values(Unit)),
        ("`bound`", values(Bound)),
        ("`target_type`", values(TargetType, nullable=True)),
    ]
    return _table(("field", "allowed values"), rows)


def render_subjects() -> str:
    rows = [(f"`{form}`", f"`{regex}`", meaning) for form, (regex, meaning) in SUBJECT_FORMS.items()]
    return (
        _table(("form", "regular expression", "what it names"), rows)
        + "\n\nEvery subject matches this pattern (the `subject` pattern of `facts.v1.json`):\n\n"
        + f"```\n{SUBJECT_PATTERN}\n```"
    )


def render_budgets() -> str:
    rule_chars = facts_schema()["properties"]["rule"]["maxLength"]  # the schema bounds it, limits.py not
    rows = [
        ("`value`", f"at most {limits.MAX_INTEGER_DIGITS} integer digits and {limits.MAX_DECIMALS} decimals"),
        ("`article_url`", f"http(s), at most {limits.MAX_URL_BYTES} bytes (UTF-8)"),
        ("`article_title`", f"at most {limits.MAX_TITLE_BYTES} bytes"),
        ("`subject`, `assigned_by`", f"at most {limits.MAX_NAME_BYTES} bytes"),
        ("`rule`", f"at most {rule_chars} characters and {limits.MAX_NAME_BYTES} bytes"),
        ("`extractor_version`", f"at most {limits.MAX_VERSION_BYTES} bytes"),
        ("`evidence`", f"at most {limits.MAX_EVIDENCE_CHARS} characters"),
        ("facts of one page", f"at most {limits.MAX_FACTS_PER_PAGE} (`HQ_MAX_FACTS_PER_PAGE`)"),
    ]
    return (
        _table(("field", "budget"), rows)
        + "\n\nNo text field holds a control character (C0, C1) or a lone surrogate."
    )


SECTIONS: dict[str, Callable[[], str]] = {
    "metrics": render_metrics,
    "enums": render_enums,
    "subjects": render_subjects,
    "budgets": render_budgets,
}


def _sections(text: str) -> dict[str, re.Match[str]]:
    found: dict[str, re.Match[str]] = {}
    for match in _SECTION.finditer(text):
        name = match["name"]
        if name not in SECTIONS:
            raise ContractDocError(f"unknown generated section {name!r} (known: {', '.join(SECTIONS)})")
        if name in found:
            raise ContractDocError(f"generated section {name!r} appears twice")
        found[name] = match
    missing = [name for name in SECTIONS if name not in found]
    if missing:
        raise ContractDocError(f"no generated section {missing[0]!r} (or its closing marker)")
    return found


def render(text: str) -> str:
    """``text`` with every generated section rendered from the code."""
    found = _sections(text)
    out, position = [], 0
    for match in sorted(found.values(), key=lambda m: m.start()):
        out += [text[position : match.end("open")], SECTIONS[match["name"]]() + "\n", match["close"]]
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def stale_sections(text: str) -> list[str]:
    """The names of the generated sections whose text differs from what the code renders."""
    return [name for name, match in _sections(text).items() if match["body"] != SECTIONS[name]() + "\n"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if a section is stale")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document (default: docs/contract.md)")
    args = parser.parse_args(argv)
    doc: Path = args.doc
    text = doc.read_text("utf-8")
    try:
        stale = stale_sections(text)
        if args.check:
            if stale:
                names = ", ".join(f"generated:{name}" for name in stale)
                print(f"{doc}: stale section(s) {names}: run `{COMMAND}`", file=sys.stderr)
                return 1
            return 0
        if stale:
            doc.write_text(render(text), "utf-8")
    except ContractDocError as exc:
        print(f"{doc}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
