"""The weekly email's configuration, from the environment (documented in docs/weekly-email.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import DEFAULT_REGION

# The parent company is the US entity (reporting currency USD), so its finance team's
# clock decides when "Monday" is; a UK-led team sets Europe/London.
DEFAULT_TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class ReportSettings:
    sender: str | None
    recipients: tuple[str, ...]
    timezone: str
    ses_region: str
    company: str
    dashboard_url: str | None

    @classmethod
    def from_env(cls) -> ReportSettings:
        recipients = tuple(r.strip() for r in os.environ.get("LEDGERLAKE_EMAIL_RECIPIENTS", "").split(",") if r.strip())
        return cls(
            sender=os.environ.get("LEDGERLAKE_EMAIL_SENDER") or None,
            recipients=recipients,
            timezone=os.environ.get("LEDGERLAKE_REPORT_TIMEZONE") or DEFAULT_TIMEZONE,
            ses_region=(
                os.environ.get("LEDGERLAKE_SES_REGION")
                or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION")
                or DEFAULT_REGION
            ),
            company=os.environ.get("LEDGERLAKE_COMPANY_NAME", "ledgerlake"),
            dashboard_url=os.environ.get("LEDGERLAKE_DASHBOARD_URL") or None,
        )

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"LEDGERLAKE_REPORT_TIMEZONE={self.timezone!r} is not a known IANA zone "
                "(the runtime needs tz data: the OS zoneinfo or the `tzdata` package)"
            ) from err

    def today(self, now: datetime | None = None) -> date:
        """The date it is now in the report's timezone (what "this Monday" means)."""
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return now.astimezone(self.zone()).date()

    def require_delivery(self) -> None:
        if not self.sender:
            raise ValueError("LEDGERLAKE_EMAIL_SENDER is not set (an SES-verified address or domain)")
        if not self.recipients:
            raise ValueError("LEDGERLAKE_EMAIL_RECIPIENTS is not set (comma-separated addresses)")
