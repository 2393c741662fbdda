"""Tests of ui (a package of tests: see tests/__init__.py)."""
