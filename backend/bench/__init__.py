"""Benchmarks behind `ioc bench ...`: timing logic kept apart from the click commands."""
