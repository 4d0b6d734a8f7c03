"""genomics-hybrid: an executable reproduction of the TabNet -> AFR -> 1-D CNN paper."""

__version__ = "0.1.0"
