"""Tests of jobs (a package of tests: see tests/__init__.py)."""
