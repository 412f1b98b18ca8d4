"""Collectors: one module per source area (see base.py); registry.py lists them."""
