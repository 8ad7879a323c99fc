"""The deployment gate: may this integration be deployed to this environment now? (pass, warn, fail, unknown)."""

from monitor.gate.decision import Decision, Reason, UnknownTarget, evaluate
from monitor.gate.records import record_decision, record_deployment

__all__ = ["Decision", "Reason", "UnknownTarget", "evaluate", "record_decision", "record_deployment"]
