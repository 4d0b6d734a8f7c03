"""Real human gene names for the replicas (org.Hs.eg.db 3.16, see scripts/extract_gene_table.py)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import pandas as pd


@lru_cache(maxsize=1)
def human_genes() -> pd.DataFrame:
    """Protein-coding and ncRNA genes on primary chromosomes, in genomic order."""
    with files(__package__).joinpath("data/human_genes.tsv.gz").open("rb") as fh:
        return pd.read_csv(fh, sep="\t", compression="gzip", dtype={"chromosome": str})


def gene_panel(n: int) -> pd.DataFrame:
    """``n`` genes in genomic order: every protein-coding gene first, then ncRNA genes.

    Expression matrices are dominated by protein-coding genes; the ncRNA genes fill the panel up
    to the width of the real matrix (23,686 for GSE72056, 20,530 for Xena's HiSeqV2).
    """
    table = human_genes()
    if n > len(table):
        raise ValueError(f"Only {len(table)} genes are available; asked for {n}.")
    ranked = table.assign(_rank=(table["gene_type"] != "protein-coding").astype(int))
    chosen = ranked.sort_values(["_rank"], kind="stable").head(n)
    return table.loc[sorted(chosen.index)].reset_index(drop=True)
