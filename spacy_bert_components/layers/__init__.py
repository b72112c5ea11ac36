"""Layers and helpers that several task heads share."""
