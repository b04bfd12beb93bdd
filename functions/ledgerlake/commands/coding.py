"""`ledgerlake coding`: suggest GL accounts for unexplained bank lines, list the queue, correct."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "coding",
        help="bank-line coding: suggest, review queue, corrections",
        description="Suggest GL accounts for bank lines no ledger document explains "
        "(marts.bank_unmatched), list what waits for review, record corrections.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser(
        "suggest",
        help="run the categoriser on the warehouse and land its suggestions",
        description="Train per entity on its coded history and corrections, suggest for every "
        "unexplained line, land the run in the lake (the next build shows it).",
    )
    p.add_argument("--warehouse", type=Path, default=None)
    p.set_defaults(func=_suggest)

    p = verbs.add_parser(
        "evaluate",
        help="time-split precision and coverage per entity and label (account, tax code, class, department)",
        description="Train on the first part of each entity's coded history (bank_coded_history), suggest "
        "for the later part, score against the booked values: seen and new vendors apart.",
    )
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--train-share", type=float, default=0.6, help="share of the coded lines trained on (by date)")
    p.set_defaults(func=_evaluate)

    p = verbs.add_parser(
        "queue",
        help="list the lines waiting for a person",
        description="Bank lines with no ledger match whose suggestion is below the threshold "
        "(or missing), oldest first.",
    )
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--entity", default=None)
    p.set_defaults(func=_queue)

    p = verbs.add_parser(
        "correct",
        help="choose the account of a bank line (final, audited)",
        description="Record the account for bank line LINE: kept in the lake with who, when and "
        "why; the categoriser never overrides it and learns from it.",
    )
    p.add_argument("line", metavar="LINE", help="bank_line_id (marts.bank_unmatched)")
    p.add_argument("account", metavar="ACCOUNT", help="account code in the line's entity's chart")
    p.add_argument("--by", default=None, help="who (default: the current user)")
    p.add_argument("--note", default="", help="why")
    p.add_argument("--tax-code", default=None, help="the tax code too (Xero TaxType, QBO TaxCodeRef); '' = none")
    p.add_argument("--class", dest="class_name", default=None, help="the class too; '' = none")
    p.add_argument("--department", default=None, help="the department too; '' = none")
    p.add_argument("--warehouse", type=Path, default=None)
    p.set_defaults(func=_correct)


def _suggest(args) -> int:
    from ..categorise.run import run_categoriser

    run = run_categoriser(args.warehouse)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(run.counts().items())) or "no unexplained lines"
    where = f"landed {run.landed_key}" if run.created else "same suggestions as the last run: nothing landed"
    print(f"{counts}; thresholds {run.thresholds}; {where}")
    return 0


def _evaluate(args) -> int:
    import duckdb

    from ..categorise.model import evaluate_labels
    from ..categorise.run import load_lines
    from ..transform.runner import warehouse_path

    con = duckdb.connect(str(args.warehouse or warehouse_path()), read_only=True)
    try:
        history, _ = load_lines(con)
    finally:
        con.close()
    print("| entity | label | vendors | lines | coverage | precision | top-1 of all |")
    print("|---|---|---|---|---|---|---|")
    for entity, labels in evaluate_labels(history, args.train_share).items():
        for label, result in labels.items():
            for part in ("seen", "new", "all"):
                r = result[part]
                print(
                    f"| {entity} | {label} | {part} | {r['lines']} | {r['coverage']:.1%} | {r['precision']:.1%} "
                    f"| {r['top1_accuracy']:.1%} |"
                )
    return 0


def _queue(args) -> int:
    import duckdb

    from ..transform.runner import warehouse_path

    con = duckdb.connect(str(args.warehouse or warehouse_path()), read_only=True)
    try:
        rows = con.execute(
            "select bank_line_id, entity_id, line_date, amount, currency, description, suggested_account_code, "
            "suggestion_confidence from marts.bank_unmatched where needs_review and (? is null or entity_id = ?) "
            "order by line_date, bank_line_id",
            [args.entity, args.entity],
        ).fetchall()
    finally:
        con.close()
    for line, entity, day, amount, currency, text, code, confidence in rows:
        hint = f"suggested {code} ({confidence})" if code else "no suggestion"
        print(f"{line}  {entity}  {day}  {amount:>12} {currency}  {text[:40]:<40}  {hint}")
    print(f"{len(rows)} lines waiting for review")
    return 0


def _correct(args) -> int:
    from ..categorise.run import CorrectionError, correct

    try:
        chosen = {"tax_code": args.tax_code, "class_name": args.class_name, "department_name": args.department}
        done = correct(
            args.line,
            args.account,
            by=args.by or getpass.getuser(),
            note=args.note,
            warehouse=args.warehouse,
            labels={k: v for k, v in chosen.items() if v is not None},
        )
    except CorrectionError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        f"{done['bank_line_id']}: {done['previous_account_code'] or '-'} -> {done['account_code']} "
        f"by {done['by']} ({done['correction_id']})"
    )
    return 0
