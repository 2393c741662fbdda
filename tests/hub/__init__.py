"""Tests of hub (a package of tests: see tests/__init__.py)."""
