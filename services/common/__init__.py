"""Pieces every service shares: settings, topic names, event models, logging, health."""
