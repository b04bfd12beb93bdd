"""QuickBooks Online webhooks: thin pings signed with `intuit-signature`.

`intuit-signature` is the base64 HMAC-SHA256 of the raw body keyed by the app's
verifier token. Two body formats are accepted, as Intuit sends either during its
migration:

* legacy: `{"eventNotifications": [{"realmId": ..., "dataChangeEvent": {"entities":
  [{"name": "Invoice", "id": "130", "operation": "Update", "lastUpdated": ...}]}}]}`
* CloudEvents: `[{"specversion": "1.0", "id": ..., "source": ..., "type":
  "qbo.invoice.updated.v1", "time": ..., "intuitentityid": "130", "intuitaccountid":
  "<realm>", "data": {}}]`

Each entity change lands as its own object (entity `notifications`): a legacy change as
`{"realmId", "dataChangeEvent": {"entities": [<the one entity>]}}`, a CloudEvent as
itself. Identity: the CloudEvent's `source` + `id` (unique by the spec); for the legacy
format, realm + entity + id + operation + lastUpdated. Intuit signs no timestamp.
"""

from __future__ import annotations

from ...config import secret
from ...lake import identity_hash
from ...webhooks.core import Landing, Refused, Request, check_b64_hmac, compact, event_time, hmac_sha256_b64

SOURCE = "qbo"
THIN = True
SECRET_NAME = "QBO_WEBHOOK_VERIFIER_TOKEN"
# A deleted entity cannot be fetched; the ping itself is the record of the delete.
_NO_HYDRATION = {"delete", "deleted"}  # legacy `Delete`, CloudEvents `qbo.x.deleted.v1`


def verify(request: Request) -> None:
    check_b64_hmac(request, "intuit-signature", secret(SECRET_NAME))


def _job(realm, name, entity_id, operation, at) -> dict | None:
    if not realm or not name or entity_id in (None, "") or str(operation).lower() in _NO_HYDRATION:
        return None
    return {"source": SOURCE, "realm_id": str(realm), "entity": str(name), "id": str(entity_id), "last_updated": at}


def _legacy(request: Request, document: dict) -> list[Landing]:
    out = []
    notifications = document.get("eventNotifications")
    if not isinstance(notifications, list):
        raise Refused("eventNotifications is not a list", status=400)
    for notification in notifications:
        # Legacy bodies of any other shape (a string, a list or a number where an object
        # belongs) are refused here, by name, rather than failing somewhere below.
        if not isinstance(notification, dict):
            raise Refused("an eventNotifications item is not an object", status=400)
        realm = notification.get("realmId")
        change = notification.get("dataChangeEvent")
        change = {} if change is None else change
        if not isinstance(change, dict):
            raise Refused("dataChangeEvent is not an object", status=400)
        entities = change.get("entities")
        entities = [] if entities is None else entities
        if not isinstance(entities, list):
            raise Refused("dataChangeEvent.entities is not a list", status=400)
        for entity in entities:
            if not isinstance(entity, dict):
                raise Refused("a dataChangeEvent entity is not an object", status=400)
            name, entity_id, operation = entity.get("name"), entity.get("id"), entity.get("operation")
            last_updated = entity.get("lastUpdated")
            job = _job(realm, name, entity_id, operation, last_updated)
            out.append(
                Landing(
                    entity="notifications",
                    identity=identity_hash("qbo", realm, name, entity_id, operation, last_updated),
                    event_time=event_time(last_updated, fallback=request.now),
                    payload=compact({"realmId": realm, "dataChangeEvent": {"entities": [entity]}}),
                    extra={"format": "legacy", "entity_name": name, "operation": operation},
                    jobs=(job,) if job else (),
                )
            )
    return out


def _cloudevents(request: Request, document: list) -> list[Landing]:
    out = []
    for event in document:
        if not isinstance(event, dict) or "specversion" not in event or not event.get("id"):
            raise Refused("not a CloudEvent (specversion and id required)", status=400)
        # type: qbo.<entity>.<operation>.v<n>
        parts = str(event.get("type", "")).split(".")
        name = parts[1] if len(parts) >= 3 else None
        operation = parts[2] if len(parts) >= 3 else None
        job = _job(event.get("intuitaccountid"), name, event.get("intuitentityid"), operation, event.get("time"))
        out.append(
            Landing(
                entity="notifications",
                identity=identity_hash("qbo-ce", event.get("source"), event["id"]),
                event_time=event_time(event.get("time"), fallback=request.now),
                payload=compact(event),
                event_id=str(event["id"]),
                api_version=f"cloudevents/{event.get('specversion')}",
                extra={"format": "cloudevents", "type": event.get("type")},
                jobs=(job,) if job else (),
            )
        )
    return out


def landings(request: Request, document) -> list[Landing]:
    if isinstance(document, dict) and "eventNotifications" in document:
        return _legacy(request, document)
    if isinstance(document, list):
        return _cloudevents(request, document)
    raise Refused("neither eventNotifications nor a CloudEvents array", status=400)


def sign(
    body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value: str | None = None
) -> dict[str, str]:
    return {"intuit-signature": hmac_sha256_b64(secret_value or secret(SECRET_NAME), body)}
