"""Extract the human gene table that the offline replicas draw their gene names from.

Source: Bioconductor's org.Hs.eg.db 3.16.0 (Entrez Gene 2022-Sep12, Ensembl 2022-Jun28),
installed offline from Debian (`apt-get install r-bioc-org.hs.eg.db`). Keeps protein-coding
and ncRNA genes placed on a primary chromosome that have an Ensembl id, in genomic order.

    python scripts/extract_gene_table.py /usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite
"""

import csv
import gzip
import sqlite3
import sys
from pathlib import Path

PRIMARY = [str(i) for i in range(1, 23)] + ["X", "Y"]
QUERY = """
select g.gene_id, i.symbol, t.gene_type, min(l.seqname), min(abs(l.start_location)), min(e.ensembl_id)
from genes g join gene_info i on g._id = i._id join genetype t on g._id = t._id
left join chromosome_locations l on g._id = l._id left join ensembl e on g._id = e._id
group by g._id
"""


def main(sqlite_path: str) -> None:
    rows = sqlite3.connect(sqlite_path).execute(QUERY).fetchall()
    keep = [
        r for r in rows
        if r[2] in ("protein-coding", "ncRNA") and r[3] in PRIMARY and r[5] is not None
    ]
    keep.sort(key=lambda r: (PRIMARY.index(r[3]), r[4], r[1]))
    out = Path(__file__).resolve().parents[1] / "genomics_hybrid/datasets/data/human_genes.tsv.gz"
    with gzip.open(out, "wt", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["symbol", "entrez_id", "ensembl_id", "gene_type", "chromosome", "start"])
        for entrez, symbol, gtype, chrom, start, ensembl in keep:
            w.writerow([symbol, entrez, ensembl, gtype, chrom, start])
    print(f"wrote {len(keep)} genes to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
