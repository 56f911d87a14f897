"""Analytical cost model, technology tables and the synthesis flow that calibrates it."""
