"""Offline synthetic replicas (being written)."""
def gse72056(seed=0): raise NotImplementedError
def tcga_brca(seed=0): raise NotImplementedError
def encsr000aed(seed=0): raise NotImplementedError
