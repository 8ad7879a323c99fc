"""Marketplace API contract-testing and change-monitoring service."""

__version__ = "0.1.0"
