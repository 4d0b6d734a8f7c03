"""Loaders for the three paper datasets in the formats their archives publish them in.

Each takes the dataset's folder inside the data directory and returns a Dataset with
``info["source"] == "real"``. The file formats, and what each loader keeps and drops, are
documented in data/README.md; the tests run each loader on small files written in exactly
these formats.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import DataError
from .files import open_text, readable, record_checksums, require_file, verify_checksum
from .kmers import count_matrix, kmer_names, read_fasta
from .validation import apply_missing_policy

GSE72056_FILE = "GSE72056_melanoma_single_cell_revised_v2.txt.gz"
GSE72056_URL = (
    "https://ftp.ncbi.nlm.nih.gov/geo/series/GSE72nnn/GSE72056/suppl/" + GSE72056_FILE
)
XENA_FILE = "HiSeqV2.gz"
XENA_URL = "https://tcga-xena-hub.s3.us-east-1.amazonaws.com/download/TCGA.BRCA.sampleMap%2FHiSeqV2.gz"
ENCODE_QUANT_DIR = "quantifications"
ENCODE_PROMOTERS = "promoters_upstream1000.fa.gz"
ENCODE_EXPERIMENT = "ENCSR000AED"
# Ensembl BioMart: 1,000 bp upstream of every human gene, FASTA headed by the Ensembl gene id.
ENCODE_PROMOTER_URL = (
    "https://www.ensembl.org/biomart/martservice?query="
    '<Query virtualSchemaName="default" formatter="FASTA" header="0" uniqueRows="0">'
    '<Dataset name="hsapiens_gene_ensembl" interface="default">'
    '<Filter name="upstream_flank" value="1000"/>'
    '<Attribute name="ensembl_gene_id"/><Attribute name="gene_flank"/>'
    "</Dataset></Query>"
)
KMER = 7
EXPRESSED_TPM = 1.0
NOT_EXPRESSED_TPM = 0.1
TCGA_CODES = {"01": 1, "11": 0}
_BARCODE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-(\d{2})")


def _unique_names(names: pd.Index) -> tuple[np.ndarray, int]:
    """Keep every row of a gene repeated in the file, suffixing repeats (GENE, GENE.1, ...)."""
    names = names.astype(str)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}.{count}")
        seen[name] = count + 1
    return np.array(out, dtype=object), int(len(names) - len(seen))


def _read_matrix(path: Path, what: str) -> pd.DataFrame:
    with readable(path), open_text(path) as fh:
        try:
            frame = pd.read_csv(fh, sep="\t", index_col=0, low_memory=False)
        except pd.errors.ParserError as exc:
            raise DataError(f"{path} is not a well-formed {what} table: {exc}") from exc
    return frame


def _numeric(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    non_numeric = [c for c, t in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    if non_numeric:
        raise DataError(
            f"{path} has non-numeric values in columns {non_numeric[:3]}: is it the right file, "
            f"and complete? Delete it and download it again."
        )
    return frame


def load_gse72056(folder: Path, home: Path, missing: str = "error") -> Dataset:
    """GEO GSE72056: genes x cells, three annotation rows under the header.

    Rows 1-3 are the tumour id, the malignancy code (1 no, 2 yes, 0 unresolved) and the
    non-malignant cell type (1 T, 2 B, 3 macrophage, 4 endothelial, 5 CAF, 6 NK). Unresolved
    cells are dropped (and counted); positive = malignant. Groups = tumour id.
    """
    path = require_file(folder / GSE72056_FILE, "gse72056", GSE72056_URL)
    checksum = verify_checksum(path, home, record=False)
    frame = _numeric(_read_matrix(path, "GEO GSE72056"), path)
    heads = [str(h).lower() for h in frame.index[:3]]
    if len(heads) < 3 or not (heads[0].startswith("tumor") and heads[1].startswith("malignant")
                              and heads[2].startswith("non-malignant")):
        raise DataError(
            f"{path} does not start with GSE72056's annotation rows (tumor, malignant, "
            f"non-malignant cell type); found {list(frame.index[:3])}. Is it the right file?"
        )
    tumour = frame.iloc[0].to_numpy()
    malignant = frame.iloc[1].to_numpy()
    cell_type = frame.iloc[2].to_numpy()
    unknown = set(np.unique(malignant)) - {0, 1, 2}
    if unknown:
        raise DataError(f"{path}: malignancy codes must be 0, 1 or 2; found {sorted(unknown)}.")
    keep = malignant != 0
    genes = frame.iloc[3:, keep].T
    genes, missing_report = apply_missing_policy(genes, missing, str(path))
    names, repeated = _unique_names(genes.columns)
    types = {0: "malignant or unresolved", 1: "T", 2: "B", 3: "macrophage", 4: "endothelial",
             5: "CAF", 6: "NK"}
    kept_types = pd.Series(cell_type[keep]).map(types).fillna("other").value_counts().to_dict()
    record_checksums(home, {path: checksum})
    return Dataset(
        X=genes.to_numpy(dtype=np.float32),
        y=(malignant[keep] == 2).astype(np.int64),
        feature_names=names,
        sample_ids=genes.index.to_numpy(),
        groups=np.array([f"tumour {int(t)}" for t in tumour[keep]], dtype=object),
        info={
            "name": "gse72056", "source": "real", "positive_class": "malignant",
            "task": "malignant vs non-malignant melanoma cells (scRNA-seq, log2(TPM/10+1))",
            "provenance": GSE72056_URL, "checksums": {path.name: checksum},
            "unresolved_cells_dropped": int((~keep).sum()),
            "repeated_gene_rows_suffixed": repeated, "cell_types": kept_types, **missing_report,
        },
    )


def load_tcga_brca(folder: Path, home: Path, missing: str = "error") -> Dataset:
    """UCSC Xena TCGA.BRCA.sampleMap/HiSeqV2: genes x samples, log2(RSEM normalised count + 1).

    The sample type is barcode characters 14-15: 01 (primary tumour) is positive, 11 (solid
    tissue normal) negative; other codes (06 metastatic, ...) are excluded and counted.
    Groups = participant (barcode characters 1-12): a patient's tumour and normal stay together.
    """
    path = require_file(folder / XENA_FILE, "tcga_brca", XENA_URL)
    checksum = verify_checksum(path, home, record=False)
    frame = _numeric(_read_matrix(path, "UCSC Xena HiSeqV2"), path)
    barcodes = frame.columns.astype(str)
    codes = []
    for barcode in barcodes:
        match = _BARCODE.match(barcode)
        if not match:
            raise DataError(
                f"{path}: column {barcode!r} is not a TCGA sample barcode "
                f"(TCGA-XX-XXXX-NN...). Is it the Xena HiSeqV2 matrix, genes as rows?"
            )
        codes.append(match.group(1))
    codes = np.array(codes)
    keep = np.isin(codes, list(TCGA_CODES))
    excluded = pd.Series(codes[~keep]).value_counts().sort_index().to_dict()
    samples = frame.loc[:, keep].T
    samples, missing_report = apply_missing_policy(samples, missing, str(path))
    names, repeated = _unique_names(samples.columns)
    sample_ids = samples.index.astype(str).to_numpy()
    record_checksums(home, {path: checksum})
    return Dataset(
        X=samples.to_numpy(dtype=np.float32),
        y=np.array([TCGA_CODES[b[13:15]] for b in sample_ids]),
        feature_names=names,
        sample_ids=sample_ids.astype(object),
        groups=np.array([b[:12] for b in sample_ids], dtype=object),
        info={
            "name": "tcga_brca", "source": "real", "positive_class": "primary tumour (01)",
            "task": "primary breast tumour vs solid tissue normal (bulk RNA-seq, log2(RSEM+1))",
            "provenance": XENA_URL, "checksums": {path.name: checksum},
            "excluded_sample_types": {str(k): int(v) for k, v in excluded.items()},
            "repeated_gene_rows_suffixed": repeated, **missing_report,
        },
    )


def _read_quantification(path: Path) -> pd.Series:
    with readable(path), open_text(path) as fh:
        try:
            table = pd.read_csv(fh, sep="\t", usecols=lambda c: c in ("gene_id", "TPM"))
        except (pd.errors.ParserError, ValueError) as exc:
            raise DataError(f"{path} is not an ENCODE gene quantification TSV: {exc}") from exc
    if list(table.columns) != ["gene_id", "TPM"]:
        raise DataError(
            f"{path} lacks the gene_id and TPM columns of an ENCODE (RSEM) gene quantification."
        )
    table = table[table["gene_id"].astype(str).str.startswith("ENSG")]
    tpm = pd.to_numeric(table["TPM"], errors="coerce")
    if tpm.isna().any():
        raise DataError(f"{path}: {int(tpm.isna().sum())} TPM values are not numbers.")
    ids = table["gene_id"].astype(str).str.split(".").str[0]
    return pd.Series(tpm.to_numpy(), index=ids).groupby(level=0).sum()


def encode_quantifications(quant_dir: Path) -> list[Path]:
    """The gene quantification files in `quant_dir`: `*.tsv` and `*.tsv.gz` only, so the
    `.part` file of an interrupted download is never taken for a replicate."""
    if not quant_dir.is_dir():
        return []
    return sorted(p for p in quant_dir.iterdir()
                  if p.is_file() and p.name.endswith((".tsv", ".tsv.gz")))


def load_encsr000aed(folder: Path, home: Path) -> Dataset:
    """ENCSR000AED derived task: genes as instances, 7-mer counts of their promoters as features.

    Label rule (stated in data/README.md): expressed = TPM >= 1 in both replicates' gene
    quantifications; not expressed = TPM < 0.1 in both; genes in between are excluded. Features
    are the counts of all 4**7 = 16,384 7-mers in each gene's promoter sequence (the FASTA record
    whose id, version stripped, is the gene's Ensembl id). Genes without a promoter are excluded.
    """
    quant_dir = folder / ENCODE_QUANT_DIR
    quants = encode_quantifications(quant_dir)
    how = (f"It needs the gene quantification TSVs of both replicates in {quant_dir} and the "
           f"promoter FASTA at {folder / ENCODE_PROMOTERS}. ")
    if len(quants) != 2:
        if not quants:
            require_file(quant_dir / "<replicate>.tsv", "encsr000aed", None, how)
        raise DataError(f"{quant_dir} must hold exactly two gene quantification TSVs (one per "
                        f"replicate); found {len(quants)}: {[q.name for q in quants]}.")
    promoters = require_file(folder / ENCODE_PROMOTERS, "encsr000aed", None, how)
    digests = {p: verify_checksum(p, home, record=False) for p in (*quants, promoters)}
    tpm = pd.concat([_read_quantification(q) for q in quants], axis=1, join="inner")
    expressed = (tpm >= EXPRESSED_TPM).all(axis=1)
    silent = (tpm < NOT_EXPRESSED_TPM).all(axis=1)
    labelled = tpm.index[expressed | silent]
    wanted = set(labelled)
    sequences: dict[str, str] = {}
    with readable(promoters), open_text(promoters) as fh:
        for record, seq in read_fasta(fh):
            gene = record.split("|")[0].split(".")[0]
            if gene in wanted and gene not in sequences:
                sequences[gene] = seq
    genes = [g for g in labelled if g in sequences]
    if not genes:
        raise DataError(f"No labelled gene of {quant_dir} has a promoter in {promoters}: the "
                        f"FASTA record ids must be Ensembl gene ids (ENSG...).")
    X = count_matrix((sequences[g] for g in genes), KMER)
    record_checksums(home, digests)
    return Dataset(
        X=X,
        y=expressed.loc[genes].to_numpy().astype(np.int64),
        feature_names=kmer_names(KMER),
        sample_ids=np.array(genes, dtype=object),
        info={
            "name": "encsr000aed", "source": "real", "positive_class": "expressed (TPM >= 1)",
            "task": "expressed vs not expressed genes of GM12878 from promoter 7-mer counts",
            "provenance": "ENCODE ENCSR000AED gene quantifications + promoter FASTA",
            "checksums": {p.name: digest for p, digest in digests.items()},
            "genes_ambiguous_excluded": int(len(tpm) - len(labelled)),
            "genes_without_promoter_excluded": int(len(labelled) - len(genes)),
            "rule": f"positive: TPM >= {EXPRESSED_TPM} in both replicates; negative: TPM < "
                    f"{NOT_EXPRESSED_TPM} in both; features: {KMER}-mer counts of the promoter",
        },
    )
