"""Tests of cli (a package of tests: see tests/__init__.py)."""
