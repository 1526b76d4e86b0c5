"""decomp: when do question decompositions help a machine-reading model?"""

__version__ = "0.1.0"
