"""Dimensions: QuickBooks Online classes and departments, Xero tracking categories.

The company tracks two things on its documents, in both ledgers:

* the **business line** (Subscriptions, Professional Services, Online Store): QBO `Class`
  entities referenced by `ClassRef` on a line's `SalesItemLineDetail` /
  `AccountBasedExpenseLineDetail`; in Xero the options of a tracking category named
  "Business Line";
* the **department** (Sales, Engineering, Operations, General & Administrative): QBO
  `Department` entities (QBO shows them as "Location", relabelled "Department" in the company's
  settings) referenced by `DepartmentRef` on the transaction, so every line of it; in Xero the
  options of a tracking category named "Department", on each line item.

Xero lines carry `Tracking: [{TrackingCategoryID, TrackingOptionID, Name, Option}]`, and
`GET /TrackingCategories` lists the categories with their `Options`.

Coding is partial, as in a real company: a sales line is tagged with its business line most of
the time, an expense with the department that spends it most of the time and with a business
line now and then. Every draw comes from the "dims" stream, and ids from their own id stream
(`Ids(seed, "dims-ids")`, fixed numbers for QBO), so adding dimensions moves nothing else in the
simulated company. The coded P&L amounts are the ground truth of P&L by dimension
(truth/pnl_by_dimension.csv, written from `Books.post`).
"""

from __future__ import annotations

from datetime import datetime

from .util import Ids, qbo_time, stream

SUBSCRIPTIONS, SERVICES, STORE = "Subscriptions", "Professional Services", "Online Store"
CLASSES = (SUBSCRIPTIONS, SERVICES, STORE)
SALES, ENGINEERING, OPERATIONS, ADMIN = "Sales", "Engineering", "Operations", "General & Administrative"
DEPARTMENTS = (SALES, ENGINEERING, OPERATIONS, ADMIN)

# The business line a revenue account's sales belong to.
CLASS_OF_REVENUE = {
    "rev_services": SERVICES,
    "rev_subscriptions": SUBSCRIPTIONS,
    "rev_store": STORE,
    "rev_shipping": STORE,
}
# The department that spends on an expense account (accounts not listed are not coded).
DEPARTMENT_OF_EXPENSE = {
    "cogs_hosting": ENGINEERING,
    "hosting": ENGINEERING,
    "cogs_contractors": ENGINEERING,
    "software": ENGINEERING,
    "cogs_goods": OPERATIONS,
    "cogs_shipping": OPERATIONS,
    "rent": ADMIN,
    "professional": ADMIN,
    "office": ADMIN,
    "bank_fees": ADMIN,
    "advertising": SALES,
    "travel": SALES,
    "meals": SALES,
}
SALES_CLASS_SHARE = 0.9  # a sales line tagged with its business line
SALES_DEPARTMENT_SHARE = 0.7  # a sales document tagged with the Sales department
EXPENSE_DEPARTMENT_SHARE = 0.8  # an expense tagged with its department
EXPENSE_CLASS_SHARE = 0.3  # an expense also tagged with a business line

# QBO: class ids are long numbers, department ids small ones (as Intuit issues them).
QBO_CLASS_IDS = {name: str(5_000_000_000_000_018_700 + i) for i, name in enumerate(CLASSES, 1)}
QBO_DEPARTMENT_IDS = {name: str(i) for i, name in enumerate(DEPARTMENTS, 1)}
XERO_CLASS_CATEGORY, XERO_DEPARTMENT_CATEGORY = "Business Line", "Department"

Coding = tuple[str | None, str | None]  # (class name, department name); None = not coded
NONE: Coding = (None, None)


class Dimensions:
    """The dimension lists of both ledgers and the draws that code documents with them."""

    def __init__(self, seed: int):
        self.rng = stream(seed, "dims")
        ids = Ids(seed, "dims-ids")
        self.xero_categories = {
            category: (ids.uuid(), {option: ids.uuid() for option in options})
            for category, options in ((XERO_CLASS_CATEGORY, CLASSES), (XERO_DEPARTMENT_CATEGORY, DEPARTMENTS))
        }

    # -- the lists -------------------------------------------------------------------------
    @staticmethod
    def qbo_objects(moment: datetime) -> list[tuple[str, dict]]:
        """(entity name, object) for every QBO Class and Department."""
        meta = {"CreateTime": qbo_time(moment), "LastUpdatedTime": qbo_time(moment)}
        common = {"SubClass": False, "Active": True, "domain": "QBO", "sparse": False, "SyncToken": "0"}
        objects = [
            ("Class", {"Name": n, "FullyQualifiedName": n, **common, "Id": i, "MetaData": meta})
            for n, i in QBO_CLASS_IDS.items()
        ]
        common = {"SubDepartment": False, "Active": True, "domain": "QBO", "sparse": False, "SyncToken": "0"}
        objects += [
            ("Department", {"Name": n, "FullyQualifiedName": n, **common, "Id": i, "MetaData": meta})
            for n, i in QBO_DEPARTMENT_IDS.items()
        ]
        return objects

    def xero_tracking_categories(self) -> list[dict]:
        """`GET /TrackingCategories`: each category with its options."""
        return [
            {
                "Name": category,
                "Status": "ACTIVE",
                "TrackingCategoryID": category_id,
                "Options": [
                    {
                        "TrackingOptionID": option_id,
                        "Name": option,
                        "Status": "ACTIVE",
                        "HasValidationErrors": False,
                        "IsDeleted": False,
                        "IsArchived": False,
                        "IsActive": True,
                    }
                    for option, option_id in options.items()
                ],
            }
            for category, (category_id, options) in self.xero_categories.items()
        ]

    # -- references on documents -----------------------------------------------------------
    @staticmethod
    def qbo_class_ref(name: str) -> dict:
        return {"value": QBO_CLASS_IDS[name], "name": name}

    @staticmethod
    def qbo_department_ref(name: str) -> dict:
        return {"value": QBO_DEPARTMENT_IDS[name], "name": name}

    def xero_tracking(self, coding: Coding) -> list[dict]:
        """A line item's `Tracking` array for (class, department)."""
        out = []
        for category, option in zip((XERO_CLASS_CATEGORY, XERO_DEPARTMENT_CATEGORY), coding):
            if option:
                category_id, options = self.xero_categories[category]
                out.append(
                    {
                        "Name": category,
                        "Option": option,
                        "TrackingCategoryID": category_id,
                        "TrackingOptionID": options[option],
                    }
                )
        return out

    # -- coding draws ----------------------------------------------------------------------
    def sales(self, revenue_keys: list[str]) -> tuple[list[str | None], str | None]:
        """A sales document: each line's business line (or None) and the document's department."""
        classes = [CLASS_OF_REVENUE.get(key) if self.rng.random() < SALES_CLASS_SHARE else None for key in revenue_keys]
        return classes, SALES if self.rng.random() < SALES_DEPARTMENT_SHARE else None

    def expense(self, account: str) -> Coding:
        """An expense document on `account` (a P&L expense account): (business line,
        department), either possibly None."""
        department = DEPARTMENT_OF_EXPENSE.get(account)
        department = department if department and self.rng.random() < EXPENSE_DEPARTMENT_SHARE else None
        klass = self.rng.choice(CLASSES[:2]) if self.rng.random() < EXPENSE_CLASS_SHARE else None
        return klass, department


def qbo_line_coding(obj: dict, line: dict) -> Coding:
    """(class, department) of a QBO document line as its wire object states them: the line's
    ClassRef (else the transaction's), the transaction's DepartmentRef."""
    detail = line.get(line.get("DetailType", ""), {})
    klass = (detail.get("ClassRef") or obj.get("ClassRef") or {}).get("name")
    return klass, (obj.get("DepartmentRef") or {}).get("name")


def xero_line_coding(line: dict) -> Coding:
    """(class, department) of a Xero line item from its Tracking array."""
    by_category = {t["Name"]: t["Option"] for t in line.get("Tracking") or []}
    return by_category.get(XERO_CLASS_CATEGORY), by_category.get(XERO_DEPARTMENT_CATEGORY)
