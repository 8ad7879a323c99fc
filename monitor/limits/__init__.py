"""Rate limits in the service: needs, observed headers, announced figures and the per-integration limits table."""
