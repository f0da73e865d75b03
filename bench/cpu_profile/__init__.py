"""CPU sampling of the benchmarks' servers, by request path (see ``__main__``)."""

from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"
