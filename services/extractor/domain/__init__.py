"""Pure extraction domain: HTML -> Article -> facts. No I/O here."""
