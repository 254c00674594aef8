"""Benchmarks (not tests): each script prints a table of figures measured in one run."""
