"""Writers of small files in exactly the formats the real archives publish."""

from __future__ import annotations

import gzip
from pathlib import Path

GSE72056_HEADS = [
    "tumor",
    "malignant(1=no,2=yes,0=unresolved)",
    "non-malignant cell type (1=T,2=B,3=Macro.4=Endo.,5=CAFs;6=NK)",
]
RSEM_COLUMNS = ["gene_id", "transcript_id(s)", "length", "effective_length", "expected_count",
                "TPM", "FPKM", "posterior_mean_count", "posterior_standard_deviation_of_count",
                "pme_TPM", "pme_FPKM", "TPM_ci_lower_bound", "TPM_ci_upper_bound",
                "FPKM_ci_lower_bound", "FPKM_ci_upper_bound"]


def write_gse72056(path: Path, cells, tumours, malignant, cell_types, genes) -> Path:
    """GEO GSE72056_melanoma_single_cell_revised_v2.txt.gz: genes x cells, tab-separated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(["Cell", *cells])]
    for head, row in zip(GSE72056_HEADS, (tumours, malignant, cell_types)):
        lines.append("\t".join([head, *map(str, row)]))
    for gene, values in genes:
        lines.append("\t".join([gene, *(f"{v:.2f}" for v in values)]))
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def write_xena(path: Path, barcodes, genes) -> Path:
    """UCSC Xena TCGA.BRCA.sampleMap/HiSeqV2.gz: 'sample' header, genes x samples."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(["sample", *barcodes])]
    lines += ["\t".join([gene, *(f"{v:.4f}" for v in values)]) for gene, values in genes]
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def write_rsem_genes(path: Path, tpm: dict[str, float]) -> Path:
    """ENCODE RSEM gene quantification TSV (ENCFF....tsv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(RSEM_COLUMNS)]
    for gene, value in tpm.items():
        lines.append("\t".join([gene, f"{gene}-T1", "1500", "1350.5", "12.0", f"{value:.2f}",
                                f"{value * 1.1:.2f}", "12.0", "0.0", f"{value:.2f}",
                                f"{value * 1.1:.2f}", "0", "1", "0", "1"]))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_promoters(path: Path, sequences: dict[str, str], width: int = 60) -> Path:
    """BioMart FASTA of gene upstream flanks: '>ENSG...' headers, 60-column lines, gzipped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as fh:
        for gene, seq in sequences.items():
            fh.write(f">{gene}\n")
            fh.writelines(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
    return path
