"""The MIME message, built with the stdlib email package.

Structure (what mail clients expect for an HTML mail with an inline image):

    multipart/alternative
      text/plain                      the plain-text part
      multipart/related
        text/html                     <img src="cid:cash-forecast@ledgerlake">
        image/png  Content-ID: <cash-forecast@ledgerlake>, inline

Text-only clients show the text part and never see the image as an attachment.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .render import Rendered


def build_message(rendered: Rendered, sender: str, recipients: list[str] | tuple[str, ...]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip(">") if "@" in sender else None
    msg["Message-ID"] = make_msgid(idstring="weekly-kpis", domain=domain)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(
        rendered.chart_png,
        maintype="image",
        subtype="png",
        cid=f"<{rendered.chart_cid}>",
        filename="cash-forecast.png",
        disposition="inline",
    )
    return msg
