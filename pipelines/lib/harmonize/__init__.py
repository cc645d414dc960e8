"""Harmonize: printed labels and cells to canonical codes and values; the fact frame; agency placement."""
