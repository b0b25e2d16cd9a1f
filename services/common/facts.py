"""The fact contract (docs/contract.md, v1) as a value object, plus its deterministic id.

Shared by the extractor (which makes facts), the facts topic (which carries them) and the store (which keeps
them). Values are exact decimals, never floats.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["actual", "estimate", "target"]
Unit = Literal["VND", "USD", "percent", "count"]
Bound = Literal["exact", "over", "under", "about"]
TargetType = Literal["du-toan", "chi-tieu", "phan-dau"]

KINDS: frozenset[str] = frozenset({"actual", "estimate", "target"})
UNITS: frozenset[str] = frozenset({"VND", "USD", "percent", "count"})
BOUNDS: frozenset[str] = frozenset({"exact", "over", "under", "about"})
TARGET_TYPES: frozenset[str] = frozenset({"du-toan", "chi-tieu", "phan-dau"})

# The scored metric ids and the unit each one must carry.
SCORED_METRICS: dict[str, str] = {
    "budget_revenue": "VND",
    "budget_revenue_attainment": "percent",
    "budget_revenue_change": "percent",
    "trade_turnover": "USD",
    "export_turnover": "USD",
    "import_turnover": "USD",
    "trade_balance": "USD",
    "trade_turnover_change": "percent",
    "export_turnover_change": "percent",
    "import_turnover_change": "percent",
    "declarations": "count",
    "enterprises": "count",
    "passengers": "count",
    "violations": "count",
    "violations_value": "VND",
    "criminal_cases": "count",
    "criminal_referrals": "count",
    "administrative_penalties": "count",
    "penalty_revenue": "VND",
}

# Metric ids outside the scored list that the extractor emits: the signed change (percent) of every scored
# amount or count that has no scored change of its own. The contract allows such ids; they are not scored.
EXTRA_METRICS: dict[str, str] = {
    f"{metric}_change": "percent"
    for metric, unit in SCORED_METRICS.items()
    if unit != "percent" and f"{metric}_change" not in SCORED_METRICS
}
# Every metric id a fact event may carry, with its unit; anything else is refused (dead-lettered).
KNOWN_METRICS: dict[str, str] = {**SCORED_METRICS, **EXTRA_METRICS}

# What each scored metric measures, for docs/contract.md (services/common/contract_doc.py renders it; a
# scored metric without a line here fails tests/unit/test_contract_doc.py). Extra metrics describe
# themselves: the signed change of their base metric.
SCORED_METRIC_MEANINGS: dict[str, str] = {
    "budget_revenue": "state budget revenue the unit collected (thu ngân sách, thu NSNN, số thu)",
    "budget_revenue_attainment": "revenue as a share of its target: đạt 126% dự toán -> 126",
    "budget_revenue_change": "signed change of `budget_revenue` against a stated earlier period",
    "trade_turnover": "total import + export turnover (kim ngạch xuất nhập khẩu)",
    "export_turnover": "export turnover (kim ngạch / trị giá xuất khẩu)",
    "import_turnover": "import turnover (kim ngạch / trị giá nhập khẩu)",
    "trade_balance": "exports minus imports: a surplus (xuất siêu) positive, a deficit (nhập siêu) negative",
    "trade_turnover_change": "signed change of `trade_turnover`",
    "export_turnover_change": "signed change of `export_turnover`",
    "import_turnover_change": "signed change of `import_turnover`",
    "declarations": "customs declarations processed (tờ khai)",
    "enterprises": "enterprises that went through customs procedures",
    "passengers": "passenger crossings (lượt khách xuất nhập cảnh)",
    "violations": "violation or smuggling cases detected, seized or handled (vụ vi phạm, vụ buôn lậu)",
    "violations_value": "value of the goods involved in those violations",
    "criminal_cases": "criminal cases customs itself opened (khởi tố)",
    "criminal_referrals": "cases handed to another agency (police...) with a request to prosecute",
    "administrative_penalties": "cases closed with an administrative penalty (xử phạt vi phạm hành chính)",
    "penalty_revenue": "money collected from fines and enforcement, paid to the state budget",
}

# The subject forms the extractor emits (services/extractor/domain/subjects.py builds them), as
# form -> (regular expression, what it names). A <slug> is a name folded to ASCII: lower-case letters and
# digits, words joined by single dashes (subjects.fold), so it never starts, ends or doubles a dash.
SUBJECT_SLUG = "[a-z0-9]+(?:-[a-z0-9]+)*"
SUBJECT_FORMS: dict[str, tuple[str, str]] = {
    "tong-cuc": ("tong-cuc", "the General Department of Vietnam Customs, or the customs service as one"),
    "ca-nuoc": ("ca-nuoc", "the whole country: Vietnam's own trade figures"),
    "cuc:<slug>": (
        f"cuc:{SUBJECT_SLUG}",
        "a provincial customs department (slug = its province or city), or a department of the General "
        "Department (`cuc:dieu-tra-chong-buon-lau`)",
    ),
    "chi-cuc:<slug>": (f"chi-cuc:{SUBJECT_SLUG}", "a customs branch (slug = the branch's name)"),
}
# The one pattern every subject matches: facts.v1.json's subject pattern is this string (tested).
SUBJECT_PATTERN = "^(?:" + "|".join(regex for regex, _ in SUBJECT_FORMS.values()) + ")$"


def format_decimal(value: Decimal) -> str:
    """The contract's value form: no exponent, no separators, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


@dataclass(frozen=True, slots=True)
class Fact:
    subject: str
    metric: str
    kind: Kind
    value: Decimal
    unit: Unit
    bound: Bound = "exact"
    period_start: date | None = None
    period_end: date | None = None
    target_type: TargetType | None = None
    assigned_by: str | None = None
    evidence: str = field(default="", compare=False)
    # Provenance, outside the identity: which extraction rule read the fact, and that rule's precision
    # measured on the dev gold (services/extractor/domain/rule_precision.json).
    rule: str | None = field(default=None, compare=False)
    confidence: float | None = field(default=None, compare=False)

    def identity(self) -> tuple[str, ...]:
        """Every normalised field but the evidence: two facts of one article differ in at least one."""
        return (
            self.subject,
            self.metric,
            self.kind,
            format_decimal(self.value),
            self.unit,
            self.bound,
            self.period_start.isoformat() if self.period_start else "",
            self.period_end.isoformat() if self.period_end else "",
            self.target_type or "",
            self.assigned_by or "",
        )

    def to_contract(self) -> dict[str, Any]:
        """The contract's fields as JSON-ready values, then the optional provenance fields when known."""
        provenance: dict[str, Any] = {}
        if self.rule is not None:
            provenance["rule"] = self.rule
        if self.confidence is not None:
            provenance["confidence"] = self.confidence
        return {
            "subject": self.subject,
            "metric": self.metric,
            "kind": self.kind,
            "value": format_decimal(self.value),
            "unit": self.unit,
            "bound": self.bound,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "target_type": self.target_type,
            "assigned_by": self.assigned_by,
            "evidence": self.evidence,
            **provenance,
        }

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> Fact:
        return cls(
            subject=data["subject"],
            metric=data["metric"],
            kind=data["kind"],
            value=Decimal(data["value"]),
            unit=data["unit"],
            bound=data.get("bound") or "exact",
            period_start=date.fromisoformat(data["period_start"]) if data.get("period_start") else None,
            period_end=date.fromisoformat(data["period_end"]) if data.get("period_end") else None,
            target_type=data.get("target_type"),
            assigned_by=data.get("assigned_by"),
            evidence=data.get("evidence") or "",
            rule=data.get("rule"),
            confidence=data.get("confidence"),
        )


def fact_id(article_url: str, fact: Fact) -> str:
    """A deterministic id of ``fact`` within its article.

    Built from the canonical article URL and every normalised field except the evidence sentence: an
    unchanged article re-extracted gives the same ids, while two 2021 targets of one unit (different
    target_type or assigned_by) or both ends of a range (different value) never share one. A fact stated
    in the title, the lead and the body is one fact and so one id.
    """
    material = "\x1f".join((article_url, *fact.identity()))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
