"""Chaos check: a PostgreSQL restart in the middle of a burst of money requests (`make chaos`)."""
