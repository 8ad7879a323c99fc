"""Alerts: an outbox written with the facts behind it, routed, grouped and delivered to Slack and webhooks once."""
