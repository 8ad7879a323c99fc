"""The status API (FastAPI): the gate, the state of every source and sandbox, waivers and the audit trail."""
