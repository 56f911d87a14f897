"""Amaranth components of the generated accelerators."""
