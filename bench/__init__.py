"""Benchmarks that print figures (never assertions): `make bench` runs them all."""
