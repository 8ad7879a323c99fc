"""The spec diff engine: a library that knows nothing of the service.

from monitor.engine import load_spec, diff
result = diff(load_spec("old.json"), load_spec("new.json"))
"""

from monitor.engine.diff import DiffOptions, DiffResult, diff, rules
from monitor.engine.errors import EngineError, OptionsError, RefusedInput, SpecError
from monitor.engine.filters import IgnoreEntry, Usage, load_ignore, load_usage
from monitor.engine.group import Change
from monitor.engine.loaders import load_spec, load_spec_bytes
from monitor.engine.model import Level, Spec
from monitor.engine.rules.base import Finding, Rule

__all__ = [
    "Change", "DiffOptions", "DiffResult", "EngineError", "Finding", "IgnoreEntry", "Level", "OptionsError",
    "RefusedInput", "Rule", "Spec", "SpecError", "Usage", "diff", "load_ignore", "load_spec", "load_spec_bytes",
    "load_usage", "rules",
]  # fmt: skip
