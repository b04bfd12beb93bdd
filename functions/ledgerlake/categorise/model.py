"""The categoriser: which GL account an unexplained bank line belongs on, with a confidence.

Two layers, trained per entity on its own coded history (bank lines the bookkeeper booked
as direct expenses):

1. Vendor-alias rules: a vendor (normalised counterparty, else the descriptor's leading
   words) whose history is overwhelmingly one account gets that account; the confidence is
   the account's share of the vendor's lines, discounted for short histories.
2. A linear text + amount model (scikit-learn logistic regression over word and character
   n-gram TF-IDF of descriptor + counterparty, plus a log-amount bucket): what answers for
   vendors the rules have never seen, from words they share with known ones ("HOTELS",
   "ADS", "AIR").

A human correction is final for its line (never overridden) and is learnt from: the
corrected vendor's rule is rebuilt with the correction outweighing history, and the model
trains on corrections with a heavy weight.

The same two layers also suggest the line's other labels where the entity's history carries
them (`LABELS`: the tax code — Xero TaxType, QBO TaxCodeRef — and the class and department),
each trained on its own label (`label_view`), with its own confidence and thresholds and the
same auto-apply / review rule. "No class" is a label value like any other (`NO_LABEL`): an
entity that tags some lines with a class learns which lines go untagged.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

_NOISE = re.compile(r"[^A-Z ]+")
_STOP = {"INC", "LTD", "LLC", "CO", "THE", "COM", "UK", "US", "WWW", "HTTP", "HTTPS", "PMT", "ACH", "DD", "FP"}
CORRECTION_WEIGHT = 10.0  # a correction counts like this many history lines
# What is suggested besides the account, when the history carries it (bank_coded_history columns).
LABELS = ("tax_code", "class_name", "department_name")
NO_LABEL = "(none)"  # a coded line without the label: "leave it untagged" is a suggestion too


@dataclass(frozen=True)
class Line:
    """One bank line: what the categoriser sees. `account` is the coded label (None: uncoded)."""

    line_id: str
    entity: str
    day: date
    description: str
    counterparty: str | None
    amount: int  # minor units, money out positive
    account: str | None = None
    bank_category: str | None = None  # the feed's own enrichment (Plaid personal_finance_category)
    labels: dict = field(default_factory=dict, compare=False)  # LABELS name -> value (None: not tagged)


def uses_label(history: list[Line], label: str) -> bool:
    """The entity codes this label: some of its coded lines carry it."""
    return any(ln.labels.get(label) for ln in history if ln.account)


def label_view(lines: list[Line], label: str) -> list[Line]:
    """The lines with `label` as what is learnt and predicted (in `account`): its value, or
    NO_LABEL for a coded line without it; uncoded lines stay unlabelled."""
    return [replace(ln, account=(ln.labels.get(label) or NO_LABEL) if ln.account else None) for ln in lines]


@dataclass(frozen=True)
class Suggestion:
    line_id: str
    account: str
    confidence: float
    method: str  # "rule" | "model" | "human"


def words(text: str | None) -> list[str]:
    """Upper-case alphabetic words, store numbers / ids / punctuation dropped."""
    cleaned = _NOISE.sub(" ", (text or "").upper().replace("*", " ").replace(".", " "))
    return [w for w in cleaned.split() if len(w) > 1 and w not in _STOP]


def vendor_key(line: Line) -> str:
    """The vendor a line belongs to: its counterparty when the bank names one, else the first
    two words of the descriptor (bank descriptors lead with the merchant)."""
    named = words(line.counterparty)
    return " ".join(named or words(line.description)[:2]) or "?"


def _text(line: Line) -> str:
    return " ".join(words(line.description) + words(line.counterparty))


def _amount_bucket(amount: int) -> str:
    return f"AMT{int(math.log10(max(abs(amount), 1)) * 2)}"


@dataclass
class Categoriser:
    """Trained on one entity's coded history (plus its corrections)."""

    rules: dict[str, tuple[str, float]] = field(default_factory=dict)  # vendor -> (account, confidence)
    model: object | None = None
    seen_vendors: set[str] = field(default_factory=set)
    corrections: dict[str, str] = field(default_factory=dict)  # line id -> account (final)
    constant: tuple[str, float] | None = None  # the answer when the history holds one value only

    @classmethod
    def fit(
        cls, history: list[Line], corrections: dict[str, str] | None = None, corrected_lines: list[Line] = ()
    ) -> Categoriser:
        """`corrections`: line id -> account a person chose, in the order they were made;
        `corrected_lines`: those lines (so a correction teaches the vendor and the words, not
        only its own line)."""
        corrections = dict(corrections or {})
        labelled = [(ln, ln.account, 1.0) for ln in history if ln.account and ln.line_id not in corrections]
        labelled += [
            (ln, corrections[ln.line_id], CORRECTION_WEIGHT) for ln in corrected_lines if ln.line_id in corrections
        ]
        self = cls(corrections=corrections)
        votes: dict[str, Counter] = defaultdict(Counter)
        for ln, account, weight in labelled:
            votes[vendor_key(ln)][account] += weight
        for vendor, counts in votes.items():
            account, top = counts.most_common(1)[0]
            total = sum(counts.values())
            # share of the vendor's lines, shrunk towards 0 for short histories (2 lines: x 2/3)
            self.rules[vendor] = (account, top / total * total / (total + 1))
        # A vendor a person has corrected follows the latest correction (today's policy beats
        # older history); its confidence grows with the corrections that agree (1: 0.5,
        # 2: 0.67, 3: 0.75), so one correction changes the suggestion and a second confirms it.
        by_line = {ln.line_id: ln for ln in corrected_lines}
        fixed: dict[str, list[str]] = defaultdict(list)
        for line_id, account in corrections.items():  # in the order they were made
            if line_id in by_line:
                fixed[vendor_key(by_line[line_id])].append(account)
        for vendor, accounts in fixed.items():
            latest = accounts[-1]
            self.rules[vendor] = (latest, accounts.count(latest) / (len(accounts) + 1))
        self.seen_vendors = set(votes)
        classes = Counter()
        for _, account, weight in labelled:
            classes[account] += weight
        if len(classes) >= 2:
            self.model = _train_model(labelled)
        elif classes:  # one value in the whole history (a US entity's tax code): that, as sure as its count
            (only, weight), total = classes.most_common(1)[0], sum(classes.values())
            self.constant = (only, weight / (total + 1))
        return self

    def suggest(self, lines: list[Line]) -> list[Suggestion]:
        out: list[Suggestion | None] = [None] * len(lines)
        todo = []
        for i, ln in enumerate(lines):
            if ln.line_id in self.corrections:
                out[i] = Suggestion(ln.line_id, self.corrections[ln.line_id], 1.0, "human")
                continue
            rule = self.rules.get(vendor_key(ln))
            if rule:
                out[i] = Suggestion(ln.line_id, rule[0], round(rule[1], 4), "rule")
            else:
                todo.append(i)
        if todo and self.model is None and self.constant is not None:
            for i in todo:
                out[i] = Suggestion(lines[i].line_id, self.constant[0], round(self.constant[1], 4), "model")
        if todo and self.model is not None:
            probs = self.model.predict_proba([_features(lines[i]) for i in todo])
            classes = self.model.classes_
            for i, p in zip(todo, probs, strict=True):
                best = int(p.argmax())
                out[i] = Suggestion(lines[i].line_id, str(classes[best]), round(float(p[best]), 4), "model")
        return [s for s in out if s is not None]


def _features(line: Line) -> str:
    return f"{_text(line)} {_amount_bucket(line.amount)} PFC{(line.bank_category or 'NONE').replace('_', '')}"


def _train_model(labelled):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)),
        ]
    )
    model = make_pipeline(features, LogisticRegression(C=4.0, max_iter=2000))
    model.fit(
        [_features(ln) for ln, _, _ in labelled],
        [a for _, a, _ in labelled],
        logisticregression__sample_weight=[w for _, _, w in labelled],
    )
    return model


# -- evaluation: a time split, seen and new vendors apart ---------------------------------------
@dataclass
class Scores:
    lines: int = 0
    applied: int = 0
    correct_applied: int = 0
    correct_all: int = 0

    @property
    def coverage(self) -> float:
        return self.applied / self.lines if self.lines else 0.0

    @property
    def precision(self) -> float:
        return self.correct_applied / self.applied if self.applied else 1.0

    @property
    def accuracy(self) -> float:
        return self.correct_all / self.lines if self.lines else 0.0

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "auto_applied": self.applied,
            "coverage": round(self.coverage, 4),
            "precision": round(self.precision, 4),
            "top1_accuracy": round(self.accuracy, 4),
        }


@dataclass(frozen=True)
class Thresholds:
    """Auto-apply at or above these confidences (per method: a rule's share and a model's
    probability are not on the same scale)."""

    rule: float = 0.9
    model: float = 0.99

    def applies(self, s: Suggestion) -> bool:
        return s.method == "human" or s.confidence >= (self.rule if s.method == "rule" else self.model)


def _wilson_low(correct: int, n: int, z: float = 1.645) -> float:
    """One-sided 95 % lower bound of a precision measured as correct / n (Wilson)."""
    p = correct / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def _lowest_precise(scored: list[tuple[float, bool]], target: float, default: float, strict: bool = False) -> float:
    """The lowest confidence whose auto-applied set (everything at or above it) is at least
    `target` precise; `default` when there are too few cases to tell. `strict`: the precision's
    lower confidence bound must reach the target, not the point estimate (for labels whose
    history is thin or noisy, where a handful of right answers says little)."""
    if len(scored) < 20:
        return default
    best, correct = 1.0, 0
    for n, (confidence, ok) in enumerate(sorted(scored, reverse=True), 1):
        correct += ok
        if (_wilson_low(correct, n) if strict else correct / n) >= target:
            best = confidence
    return min(best, 1.0)


def choose_thresholds(
    history: list[Line], target: float = 0.95, holdout: float = 0.25, folds: int = 4, strict: bool = False
) -> Thresholds:
    """Per entity, from its own history, for a `target` precision measured against the
    booked codes. Those carry the bookkeeper's own slips, so the precision measured is a
    floor of the true one (docs/benchmarks.md has both). Rules: trained on the earlier part,
    scored on the latest `holdout` share. Model (what answers for new vendors): vendors held out in `folds` groups, the
    model trained on the others: how it does on vendors it has never seen."""
    history = sorted((ln for ln in history if ln.account), key=lambda ln: (ln.day, ln.line_id))
    cut = int(len(history) * (1 - holdout))
    rule = model = None
    if cut >= 50 and len(history) - cut >= 30:
        suggestions = Categoriser.fit(history[:cut]).suggest(history[cut:])
        rule = _lowest_precise(
            [
                (s.confidence, s.account == ln.account)
                for s, ln in zip(suggestions, history[cut:], strict=True)
                if s.method == "rule"
            ],
            target,
            0.9,
            strict,
        )
    vendors = sorted({vendor_key(ln) for ln in history})
    if len(vendors) >= folds * 2:
        scored = []
        for k in range(folds):
            held = set(vendors[k::folds])
            cat = Categoriser.fit([ln for ln in history if vendor_key(ln) not in held])
            cat.rules = {}  # the model alone: what a new vendor gets
            test = [ln for ln in history if vendor_key(ln) in held]
            scored += [(s.confidence, s.account == ln.account) for s, ln in zip(cat.suggest(test), test, strict=True)]
        model = _lowest_precise(scored, target, 0.99, strict)
    return Thresholds(rule=rule if rule is not None else 0.9, model=model if model is not None else 0.99)


def evaluate(
    history: list[Line],
    cutoff: date,
    truth: dict[str, str] | None = None,
    thresholds: Thresholds | None = None,
    strict: bool = False,
) -> dict:
    """Train on lines before `cutoff`, suggest for the lines from it on; score seen and new
    vendors apart. `truth` (line id -> the right account, when known, e.g. from the
    simulator) replaces the booked labels as the yardstick."""
    train = [ln for ln in history if ln.day < cutoff and ln.account]
    test = [ln for ln in history if ln.day >= cutoff and (truth or {}).get(ln.line_id, ln.account)]
    thresholds = choose_thresholds(train, strict=strict) if thresholds is None else thresholds
    cat = Categoriser.fit(train)
    scores = {"seen": Scores(), "new": Scores()}
    for s, ln in zip(cat.suggest(test), test, strict=True):
        right = (truth or {}).get(ln.line_id, ln.account)
        bucket = scores["seen" if vendor_key(ln) in cat.seen_vendors else "new"]
        bucket.lines += 1
        bucket.correct_all += s.account == right
        if thresholds.applies(s):
            bucket.applied += 1
            bucket.correct_applied += s.account == right
    total = Scores(
        *(sum(getattr(b, f) for b in scores.values()) for f in ("lines", "applied", "correct_applied", "correct_all"))
    )
    return {
        "thresholds": {"rule": thresholds.rule, "model": thresholds.model},
        "train_lines": len(train),
        "seen": scores["seen"].as_dict(),
        "new": scores["new"].as_dict(),
        "all": total.as_dict(),
    }


def evaluate_labels(history: list[Line], train_share: float = 0.6) -> dict[str, dict[str, dict]]:
    """{entity: {label: evaluate(...)}} for the account and every label the entity's history
    uses, on a time split: trained on the first `train_share` of its coded lines by date,
    scored on the rest against the booked values."""
    out: dict[str, dict[str, dict]] = {}
    for entity in sorted({ln.entity for ln in history}):
        own = sorted((ln for ln in history if ln.entity == entity and ln.account), key=lambda ln: (ln.day, ln.line_id))
        if len(own) < 10:
            continue
        cutoff = own[int(len(own) * train_share)].day
        out[entity] = {"account": evaluate(own, cutoff)}
        for label in LABELS:
            if uses_label(own, label):
                out[entity][label] = evaluate(label_view(own, label), cutoff, strict=True)
    return out
