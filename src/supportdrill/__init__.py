"""supportdrill: time a streaming vendor's support desk against its SLA, with a real fault."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
