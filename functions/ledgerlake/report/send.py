"""Delivery through Amazon SES (`SendRawEmail`, because the message carries an inline image)."""

from __future__ import annotations

from email.message import EmailMessage

from .settings import ReportSettings


def ses_client(settings: ReportSettings):
    """An SES client; AWS_ENDPOINT_URL_SES / AWS_ENDPOINT_URL point it elsewhere (tests, moto)."""
    import boto3

    return boto3.client("ses", region_name=settings.ses_region)


def send(msg: EmailMessage, settings: ReportSettings, client=None) -> str:
    """Send to the configured recipients; returns SES's MessageId."""
    settings.require_delivery()
    client = client or ses_client(settings)
    response = client.send_raw_email(
        Source=settings.sender,
        Destinations=list(settings.recipients),
        RawMessage={"Data": msg.as_bytes()},
    )
    return response["MessageId"]
