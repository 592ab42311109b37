"""Tests of the benchmark seeding and harness."""
