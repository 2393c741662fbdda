"""Tests of kernel (a package of tests: see tests/__init__.py)."""
