"""Load a spec file (JSON or YAML; Swagger 2.0, OpenAPI 3.0, 3.1 or 3.2) into the normalised model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from monitor.engine._gc import paused_gc
from monitor.engine.errors import SpecError
from monitor.engine.loaders.documents import parse_document
from monitor.engine.loaders.lenient import REPAIR_AFTER_COLON, repair
from monitor.engine.loaders.refs import REF_AFTER_COLON, Resolver, check_refs, find_dangling, serialise, unique_refs_in
from monitor.engine.loaders.specs import build_spec
from monitor.engine.model import Spec

__all__ = ["Resolver", "load_spec", "load_spec_bytes"]

# One pass over the serialised document finds its `$ref`s and whether the lenient reader may have something to
# repair: all follow a key's colon, so the pass stops at each `:` (3x rarer than `"`) and looks behind for the key.
_SCAN = re.compile(b":(?:" + REF_AFTER_COLON + b"|" + REPAIR_AFTER_COLON + b")")


def load_spec(path: str | Path, *, allow_external_refs: bool = False) -> Spec:
    """Read and normalise one spec file.

    Usage: `spec = load_spec("contracts/amazon-sp-api/orders-v0.json")`

    **Parameters:**
    * **path** - the spec file.
    * **allow_external_refs** - follow `$ref`s to other files inside the spec's own folder
      (remote URLs and absolute paths are always refused).
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SpecError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    return load_spec_bytes(data, str(path), base=file, allow_external_refs=allow_external_refs)


def load_spec_bytes(data: bytes, name: str, *, base: Path | None = None, allow_external_refs: bool = False) -> Spec:
    """Normalise a spec held in memory (fetched by the service, say); `name` appears in errors."""
    with paused_gc():  # its full collections would walk every parsed node again and again
        root = parse_document(data, name)
        refs, suspect = _scan(root)
        bundled = check_refs(root, base or Path(name), allow_external=allow_external_refs, refs=refs)
        if bundled is not root:  # sibling files were bundled in: their refs too
            root = bundled
            refs, suspect = _scan(root)
        repaired = repair(root, suspect) if isinstance(root, dict) else []
        spec = build_spec(root, name, refs)
        spec.refs = refs
        spec.defects.extend(repaired)
        info = root.get("info")
        if not isinstance(info, dict) or info.get("version") in (None, ""):  # required by every version; hides nothing
            spec.defects.append(
                ("malformed-value", "#/info", "no `info.version`: the document does not state its version")
            )
        dangling = find_dangling(root, name, refs, spec.resolver)  # its targets were all looked up in build_spec
        spec.defects.extend(("dangling-ref", where, ref) for where, ref in dangling)
        return spec


def _scan(root: Any) -> tuple[set[str], bool]:
    """The document's distinct `$ref`s, and whether the lenient reader may find something to repair."""
    serialised = serialise(root)  # a 7 MB spec is 7 MB of bytes: dropped before the model is built
    if serialised is None:  # nested beyond orjson's limit (hostile): walked
        return unique_refs_in(root), True
    found = set(_SCAN.findall(serialised))
    suspect = b"" in found  # a repair pattern captures nothing, a ref its value with the opening quote
    found.discard(b"")
    if b"\\" in b"".join(found):  # a ref holding an escape may have stopped at an escaped quote: the exact scan
        return unique_refs_in(root, serialised), suspect
    return {value[1:].decode() for value in found}, suspect
