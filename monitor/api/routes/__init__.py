"""One router per resource; `monitor.api.app` includes them."""
