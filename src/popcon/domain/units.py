"""Quantities as users read them in messages."""

from __future__ import annotations


def megabytes(n: int) -> str:
    """Sizes in the same unit as the README and the settings (MiB shown as MB)."""
    return f"{n / (1 << 20):.0f} MB" if n >= 10 << 20 else f"{n / (1 << 20):.1f} MB"
