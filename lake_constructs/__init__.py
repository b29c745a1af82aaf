"""Reusable constructs of the data lake. Not named `constructs`: that would shadow the library."""
