"""MineGNK: monitoring portal for Gonka network nodes."""

__version__ = "0.1.0"
