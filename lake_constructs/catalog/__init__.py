"""Catalog and governance: Glue crawlers, tables and data-quality rules over the zones."""
