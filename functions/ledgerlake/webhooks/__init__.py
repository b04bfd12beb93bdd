"""Webhook ingestion: the provider registry, the receive path, hydration queues, replay, serve.

Per-provider schemes live in `ledgerlake.sources.<name>.webhook`; this package is the
plumbing they share. See docs/webhooks.md.
"""
