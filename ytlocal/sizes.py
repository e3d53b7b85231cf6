"""Byte counts as people read them ("98.2 MB"): model sizes, free disk space, downloads."""

from __future__ import annotations


def human_size(num_bytes: int) -> str:
    """``num_bytes`` in B, kB, MB or GB (powers of ten), one decimal below ten units, none from ten on."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:.1f} {unit}" if num_bytes < 10 * scale else f"{num_bytes / scale:.0f} {unit}"
    return f"{num_bytes} B"
