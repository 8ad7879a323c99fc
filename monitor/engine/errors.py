"""The diff engine's exception tree (the engine cannot import the service's).

EngineError
 ├── SpecError          a file is not a readable spec (file, line, column when known)
 │    └── RefusedInput  readable but refused: too large, alias bomb, remote or escaping $ref
 └── OptionsError       bad usage or ignore file handed to the engine
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises."""


class SpecError(EngineError):
    """A spec file cannot be read as OpenAPI 3.x or Swagger 2.0."""

    def __init__(self, file: str, reason: str, *, line: int | None = None, column: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        where = file if line is None else f"{file}:{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {reason}")


class RefusedInput(SpecError):
    """A spec is refused on purpose (size, alias expansion, a $ref leaving the spec's folder)."""


class OptionsError(EngineError):
    """A usage or ignore file given to the engine is invalid."""
