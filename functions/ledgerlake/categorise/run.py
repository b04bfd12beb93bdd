"""The categoriser step: read the marts, suggest, land the suggestions; people's corrections.

After each build: per entity, train on its coded history (marts.bank_coded_history) and
its people's corrections, suggest an account — and the tax code, class and department where
the history carries them (model.LABELS), each with its own confidence and threshold — for
every unexplained bank line (marts.bank_unmatched), mark each auto-applied (at or above the
entity's threshold) or for review, and land the run in the lake (raw/source=ledgerlake/entity=coding_suggestions), from
where the next build's bank_unmatched and KPI marts read it. A run with the same
suggestions as one already landed lands nothing (its key is a hash of its content).

Corrections are landed one object each (entity=coding_corrections): who, when, why and what
was suggested before; never rewritten, so the lake keeps the audit trail. They are read
straight from the lake (not the warehouse), so a correction made after the last build
counts in the next suggestion.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ..lake import Lake, identity_hash, raw_prefix
from .model import LABELS, NO_LABEL, Categoriser, Line, choose_thresholds, label_view, uses_label

SOURCE = "ledgerlake"
SUGGESTIONS = "coding_suggestions"
CORRECTIONS = "coding_corrections"

_LINE_COLUMNS = "bank_line_id, entity_id, line_date, description, counterparty_name, amount, {label}, bank_category"


@dataclass
class CodingRun:
    suggestions: list[dict] = field(default_factory=list)
    thresholds: dict[str, dict] = field(default_factory=dict)
    landed_key: str | None = None
    created: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.suggestions:
            out[s["status"]] = out.get(s["status"], 0) + 1
        return out


def _warehouse() -> Path:
    """The local warehouse file (transform.runner.warehouse_path, without importing dbt's side:
    the dashboard's correction form calls this module)."""
    from .. import config

    return config.home() / "warehouse.duckdb"


def _now() -> datetime:
    return datetime.now(UTC)


def _line(row, labels: tuple[str, ...] = ()) -> Line:
    line_id, entity, day, description, counterparty, amount, label, category = row[:8]
    # money out positive, in minor units: a feature for the model, never summed as money
    minor = int((-Decimal(amount) * 100).to_integral_value())
    tags = {name: value for name, value in zip(labels, row[8:], strict=True) if value}
    return Line(line_id, entity, day, description or "", counterparty, minor, label, category, tags)


def history_labels(con) -> tuple[str, ...]:
    """The LABELS bank_coded_history carries (its columns decide: generic over what the
    ledgers' journal lines hold)."""
    have = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'bank_coded_history'"
        ).fetchall()
    }
    return tuple(label for label in LABELS if label in have)


def load_lines(con) -> tuple[list[Line], list[Line]]:
    """(coded history, unexplained lines) from the warehouse's marts."""
    labels = history_labels(con)
    extra = "".join(f", {label}" for label in labels)
    history = [
        _line(r, labels)
        for r in con.execute(
            f"select {_LINE_COLUMNS.format(label='account_code')}{extra} from marts.bank_coded_history "
            "order by line_date, bank_line_id"
        ).fetchall()
    ]
    todo = [
        _line(r)
        for r in con.execute(
            f"select {_LINE_COLUMNS.format(label='cast(null as varchar)')} from marts.bank_unmatched "
            "order by line_date, bank_line_id"
        ).fetchall()
    ]
    return history, todo


def load_corrections(lake: Lake) -> dict[str, dict]:
    """bank line id -> its latest correction (by time, then id), read from the lake, in the
    order the corrections were made."""
    latest: dict[str, dict] = {}
    for key in lake.keys(raw_prefix(SOURCE, CORRECTIONS)):
        _, payload = lake.read(key)
        current = latest.get(payload["bank_line_id"])
        if current is None or (payload["at"], payload["correction_id"]) > (current["at"], current["correction_id"]):
            latest[payload["bank_line_id"]] = payload
    return dict(sorted(latest.items(), key=lambda kv: (kv[1]["at"], kv[1]["correction_id"])))


def suggest(history: list[Line], todo: list[Line], corrections: dict[str, dict]) -> CodingRun:
    """Per entity: thresholds from its history, rules + model from history and corrections."""
    run = CodingRun()
    everything = {ln.line_id: ln for ln in history + todo}
    for entity in sorted({ln.entity for ln in todo}):
        own = [ln for ln in history if ln.entity == entity]
        fixes = {k: c["account_code"] for k, c in corrections.items() if c.get("entity_id") == entity}
        thresholds = choose_thresholds(own)
        run.thresholds[entity] = {"rule": thresholds.rule, "model": thresholds.model}
        cat = Categoriser.fit(own, fixes, [everything[k] for k in fixes if k in everything])
        lines = [ln for ln in todo if ln.entity == entity]
        rows = []
        for s, _line in zip(cat.suggest(lines), lines, strict=True):
            status = "human" if s.method == "human" else ("auto_applied" if thresholds.applies(s) else "review")
            rows.append(
                {
                    "bank_line_id": s.line_id,
                    "entity_id": entity,
                    "account_code": s.account,
                    "confidence": f"{s.confidence:.4f}",
                    "method": s.method,
                    "status": status,
                    "threshold": f"{thresholds.rule if s.method == 'rule' else thresholds.model:.4f}",
                }
            )
        for label in LABELS:
            if uses_label(own, label):
                _suggest_label(run, entity, label, own, lines, corrections, everything, rows)
        run.suggestions += rows
    return run


def _suggest_label(run: CodingRun, entity: str, label: str, own, lines, corrections, everything, rows) -> None:
    """One more label for the entity's rows: its own rules and model, learnt from the label
    on the coded history (and people's corrections of it), its own thresholds."""
    history = label_view(own, label)
    fixes = {k: c[label] or NO_LABEL for k, c in corrections.items() if c.get("entity_id") == entity and label in c}
    thresholds = choose_thresholds(history, strict=True)  # a label's history is thinner than the account's
    run.thresholds[entity][label] = {"rule": thresholds.rule, "model": thresholds.model}
    cat = Categoriser.fit(history, fixes, [everything[k] for k in fixes if k in everything])
    for row, s in zip(rows, cat.suggest(lines), strict=True):
        status = "human" if s.method == "human" else ("auto_applied" if thresholds.applies(s) else "review")
        row[label] = None if s.account == NO_LABEL else s.account
        row[f"{label}_confidence"] = f"{s.confidence:.4f}"
        row[f"{label}_status"] = status


def _marts(path: Path, settings=None):
    """The warehouse file when there is one; else views over the two published bank marts
    alone (the Lambda's role may read nothing else)."""
    import duckdb

    if path.exists():
        return duckdb.connect(str(path), read_only=True)
    from ..analyst import attach_published_marts
    from ..config import Settings
    from ..lake import configure_duckdb

    settings = settings or Settings.from_env()
    con = duckdb.connect(":memory:")
    configure_duckdb(con, settings)
    attach_published_marts(con, settings, only=("bank_coded_history", "bank_unmatched"))
    return con


def run_categoriser(
    warehouse: Path | None = None, settings=None, lake: Lake | None = None, now: datetime | None = None
) -> CodingRun:
    """Suggest for the unexplained lines and land the run (see the module doc). Reads the
    warehouse file when there is one, else the published Parquet marts (the Lambda)."""
    lake = lake or Lake(settings)
    con = _marts(Path(warehouse or _warehouse()), settings)
    try:
        history, todo = load_lines(con)
    finally:
        con.close()
    run = suggest(history, todo, load_corrections(lake))
    if not run.suggestions:
        return run
    moment = now or _now()
    run_id = identity_hash(json.dumps([run.suggestions, run.thresholds], sort_keys=True))[:24]
    body = {
        "run_id": run_id,
        "suggested_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "thresholds": run.thresholds,
        "suggestions": run.suggestions,
    }
    landed = lake.land(
        source=SOURCE,
        entity=SUGGESTIONS,
        payload=json.dumps(body).encode(),
        identity=run_id,
        event_time=moment,
        arrival="poll",
        extra={"producer": "ledgerlake.categorise"},
    )
    run.landed_key, run.created = landed.key, landed.created
    return run


class CorrectionError(ValueError):
    """A correction the warehouse cannot place (unknown line, unknown account)."""


def correct(
    bank_line_id: str,
    account_code: str,
    by: str,
    note: str = "",
    warehouse: Path | None = None,
    lake: Lake | None = None,
    settings=None,
    now: datetime | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    """Record a person's choice of account for a bank line: validated against the warehouse
    (the line must be one ledgerlake knows, the account one of its entity's), landed as a
    new object (the audit trail), and final: the categoriser never overrides it. `labels`:
    the tax code / class / department chosen too (model.LABELS; "" = leave it unset)."""
    import duckdb

    if not by.strip():
        raise CorrectionError("say who is correcting (by)")
    unknown = sorted(set(labels or {}) - set(LABELS))
    if unknown:
        raise CorrectionError(f"unknown label(s) {', '.join(unknown)}: one of {', '.join(LABELS)}")
    con = duckdb.connect(str(warehouse or _warehouse()), read_only=True)
    try:
        line = con.execute(
            "select entity_id, suggested_account_code from marts.bank_unmatched where bank_line_id = ? "
            "union all select entity_id, account_code from marts.bank_coded_history "
            "where bank_line_id = ?",
            [bank_line_id, bank_line_id],
        ).fetchone()
        if line is None:
            raise CorrectionError(f"unknown bank line {bank_line_id!r} (not in bank_unmatched or bank_coded_history)")
        entity, previous = line
        known = con.execute(
            "select 1 from intermediate.int_ledger_accounts where entity_id = ? and account_code = ? "
            "and not is_deleted",
            [entity, account_code],
        ).fetchone()
        if known is None:
            raise CorrectionError(f"account {account_code!r} is not in {entity}'s chart of accounts")
    finally:
        con.close()
    moment = now or _now()
    correction = {
        "correction_id": str(uuid.uuid4()),
        "bank_line_id": bank_line_id,
        "entity_id": entity,
        "account_code": account_code,
        "previous_account_code": previous,
        "by": by.strip(),
        # milliseconds: two corrections of a line within a second still order by when they were made
        "at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "note": note,
        **{label: (value or "").strip() or None for label, value in (labels or {}).items()},
    }
    (lake or Lake(settings)).land(
        source=SOURCE,
        entity=CORRECTIONS,
        payload=json.dumps(correction).encode(),
        identity=correction["correction_id"],
        event_time=moment,
        arrival="webhook",
        extra={"producer": "ledgerlake.categorise", "by": by.strip()},
    )
    return correction
