"""Offline synthetic replicas of the paper's three datasets.

Each generator is deterministic in ``seed`` and matches its real dataset's published shape, class
balance and kind of values (see data/README.md for the figures and their sources). Each plants
a documented biology-shaped signal and stores it in ``info["ground_truth"]``:

- ``informative_features``: every feature whose distribution differs between the classes;
- ``effects``: feature -> planted class effect (log scale for expression, planting rate for motifs);
- ``modules``: co-expressed (or co-planted) feature groups, each marked informative or nuisance.

The effect sizes are fixed a priori from the biology each replica imitates (marker genes switched
on in their cell type, fold changes of a few log2 units). They are never tuned to make any model
reach the paper's numbers: what a model scores on a replica is a property of the replica,
reported as such, not evidence about the real data.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Dataset
from .genes import gene_panel, human_genes
from .kmers import count_matrix, kmer_names

GENERATOR_VERSION = 1
_CHUNK = 256  # rows generated at a time: bounds memory, fixed so the random stream is too


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def _provenance(name: str, seed: int) -> str:
    return f"genomics_hybrid.datasets.replicas.{name}(seed={seed}), generator v{GENERATOR_VERSION}"


@dataclass
class _Module:
    """Genes driven together by one latent activity per sample."""

    name: str
    columns: np.ndarray
    loadings: np.ndarray
    class_shift: float  # designed mean activity of positives minus negatives, in SD units
    informative: bool


class _Design:
    """Bookkeeping of planted effects on a gene panel, turned into ground truth at the end."""

    def __init__(self, names: np.ndarray, rng: np.random.Generator):
        self.names = names
        self.index = {g: i for i, g in enumerate(names)}
        self.rng = rng
        self.used: set[int] = set()
        self.modules: list[_Module] = []
        self.effects: dict[str, float] = {}

    def pick(self, named: list[str], n_total: int) -> np.ndarray:
        """Columns for the named genes plus random unused genes up to ``n_total``."""
        cols = [self.index[g] for g in named if g in self.index and self.index[g] not in self.used]
        free = np.setdiff1d(np.arange(len(self.names)), list(self.used) + cols)
        extra = self.rng.choice(free, size=max(0, n_total - len(cols)), replace=False)
        out = np.array(cols + sorted(extra.tolist()), dtype=np.int64)
        self.used.update(out.tolist())
        return out

    def module(self, name, named, n_total, class_shift=0.0, informative=None,
               loading=(0.5, 1.5)) -> _Module:
        """A module; ``informative`` defaults to whether the design shifts it between classes."""
        cols = self.pick(named, n_total)
        mod = _Module(name, cols, self.rng.uniform(*loading, size=len(cols)).astype(np.float32),
                      class_shift, class_shift != 0 if informative is None else informative)
        self.modules.append(mod)
        return mod

    def record(self, cols: np.ndarray, effects: np.ndarray) -> None:
        for c, e in zip(cols, effects):
            self.effects[self.names[c]] = self.effects.get(self.names[c], 0.0) + float(e)

    def ground_truth(self, activity: np.ndarray, y: np.ndarray, **extra) -> dict:
        """The planted truth, with each module's measured activity difference between classes."""
        informative = set(self.effects)
        for mod in self.modules:
            if mod.informative:
                informative.update(self.names[mod.columns])
        measured = activity[y == 1].mean(axis=0) - activity[y == 0].mean(axis=0)
        return {
            "informative_features": sorted(informative, key=self.index.get),
            "effects": self.effects,
            "modules": {
                m.name: {"features": self.names[m.columns].tolist(), "informative": m.informative,
                         "activity_difference": round(float(diff), 3)}
                for m, diff in zip(self.modules, measured)
            },
            **extra,
        }


def _apply_modules(level: np.ndarray, activity: np.ndarray, modules: list[_Module]) -> None:
    for j, mod in enumerate(modules):
        level[:, mod.columns] += activity[:, j, None] * mod.loadings[None, :]


def _module_activity(rng, modules: list[_Module], y: np.ndarray) -> np.ndarray:
    """Per-sample activity: standard normal, shifted by half the class shift either way."""
    shift = np.array([m.class_shift for m in modules], dtype=np.float32)
    base = rng.standard_normal((len(y), len(modules)), dtype=np.float32)
    return base + np.where(y[:, None] == 1, shift / 2, -shift / 2)


# --- GSE72056: melanoma scRNA-seq, log2(TPM/10 + 1) with dropout zeros -------------------------

GSE72056_CELLS = {"malignant": 1257, "T": 2068, "B": 515, "macrophage": 126, "endothelial": 65,
                  "CAF": 61, "NK": 52, "unassigned": 369}
GSE72056_TUMOURS = [53, 58, 59, 60, 65, 67, 71, 72, 74, 75, 78, 79, 80, 81, 82, 84, 88, 89, 94]
GSE72056_MARKERS = {
    "malignant": ["MITF", "PMEL", "MLANA", "TYR", "DCT", "SOX10", "S100B", "TYRP1", "GPR143"],
    "T": ["CD3D", "CD3E", "CD3G", "CD2", "CD8A", "CD4", "IL7R", "PDCD1", "FOXP3", "CD247"],
    "B": ["MS4A1", "CD79A", "CD79B", "CD19", "CD22", "BANK1", "PAX5"],
    "macrophage": ["CD14", "CD68", "CD163", "LYZ", "C1QA", "C1QB", "AIF1", "CSF1R"],
    "endothelial": ["PECAM1", "VWF", "CDH5", "CLDN5", "ESAM", "KDR"],
    "CAF": ["COL1A1", "COL1A2", "COL3A1", "FAP", "DCN", "LUM", "PDGFRB"],
    "NK": ["NKG7", "GNLY", "KLRD1", "KLRF1", "NCAM1", "PRF1"],
}
IMMUNE = ("T", "B", "macrophage", "NK")


def _dropout(rng, level: np.ndarray, complexity: np.ndarray) -> np.ndarray:
    """Smart-seq2-like dropout: detection is likelier for highly expressed genes."""
    detect = 1.0 / (1.0 + np.exp(-(1.6 * (level - 3.0) + complexity[:, None])))
    value = level + 0.7 * rng.standard_normal(level.shape, dtype=np.float32)
    detected = rng.random(level.shape, dtype=np.float32) < detect
    return np.where(detected, np.maximum(value, 0.1), 0.0).astype(np.float32)


def gse72056(seed: int = 0) -> Dataset:
    """4,513 cells (1,257 malignant, 3,256 not; the 132 unresolved are dropped as the real loader
    does) x 23,686 genes from 19 tumours. Cell types and markers as in Tirosh et al. 2016."""
    rng = _rng(seed, "gse72056")
    names = gene_panel(23686)["symbol"].to_numpy(dtype=object)
    design = _Design(names, rng)
    d = len(names)

    cell_type = rng.permutation(np.repeat(list(GSE72056_CELLS), list(GSE72056_CELLS.values())))
    y = (cell_type == "malignant").astype(np.int64)
    n = len(y)
    with_malignant = rng.choice(len(GSE72056_TUMOURS), size=15, replace=False)
    p_mal = np.zeros(len(GSE72056_TUMOURS))
    p_mal[with_malignant] = rng.dirichlet(np.full(15, 1.5))
    p_other = rng.dirichlet(np.full(len(GSE72056_TUMOURS), 1.5))
    tumour = np.where(y == 1, rng.choice(len(GSE72056_TUMOURS), size=n, p=p_mal),
                      rng.choice(len(GSE72056_TUMOURS), size=n, p=p_other))

    baseline = rng.normal(1.2, 1.6, size=d).astype(np.float32)
    markers = {}
    for kind, named in GSE72056_MARKERS.items():
        cols = design.pick(named, len(named) + 15)
        # Off (level 0.5) outside their cell type; inside it, named markers reach the levels of
        # highly expressed genes (4-7), the unnamed ones moderate levels (2.5-4.5).
        shift = np.where(np.isin(names[cols], named), rng.uniform(3.5, 6.5, len(cols)),
                         rng.uniform(2, 4, len(cols))).astype(np.float32)
        baseline[cols] = 0.5
        markers[kind] = (cols, shift)
    immune_col = design.pick(["PTPRC"], 1)
    baseline[immune_col] = 0.5
    for kind, (cols, shift) in markers.items():  # effect sign: + higher in malignant cells
        design.record(cols, shift if kind == "malignant" else -shift)
    design.record(immune_col, [-3.0])

    modules = [
        design.module("cell_cycle", ["MKI67", "TOP2A", "CCNB1", "CDK1", "BIRC5", "UBE2C", "CENPF",
                                     "TYMS"], 30, informative=True),
        design.module("interferon", ["ISG15", "IFI6", "IFIT1", "IFIT3", "MX1", "OAS1", "STAT1",
                                     "IRF7"], 25, 0.0),
        design.module("stress", ["HSPA1A", "HSPA1B", "DNAJB1", "HSPH1", "FOS", "JUN", "JUNB",
                                 "EGR1"], 25, 0.0),
        design.module("mhc_class_ii", ["HLA-DRA", "HLA-DRB1", "HLA-DPA1", "HLA-DPB1", "CD74",
                                       "HLA-DQA1"], 20, -0.75),
        *[design.module(f"program_{i + 1}", [], int(rng.integers(20, 41)),
                        float(rng.choice([-0.75, 0.75])) if i < 8 else 0.0) for i in range(16)],
    ]
    activity = _module_activity(rng, modules, y)
    cycling = rng.random(n) < np.where(y == 1, 0.25, np.where(cell_type == "T", 0.05, 0.02))
    activity[:, 0] = np.where(cycling, rng.uniform(1.5, 3.0, n), -0.5).astype(np.float32)
    tumour_cols = design.pick([], 300)
    tumour_offsets = rng.normal(0, 1.0, size=(len(GSE72056_TUMOURS), 300)).astype(np.float32)
    complexity = rng.normal(0, 0.5, size=n).astype(np.float32)

    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        level = np.repeat(baseline[None, :], rows.stop - rows.start, axis=0)
        types = cell_type[rows]
        for kind, (cols, shift) in markers.items():
            hit = np.flatnonzero(types == kind)
            level[np.ix_(hit, cols)] += shift
        level[np.flatnonzero(np.isin(types, IMMUNE))[:, None], immune_col] += 3.0
        _apply_modules(level, activity[rows], modules)
        scale = np.where(y[rows] == 1, 1.0, 0.2).astype(np.float32)
        level[:, tumour_cols] += scale[:, None] * tumour_offsets[tumour[rows]]
        X[rows] = _dropout(rng, level, complexity[rows])

    tumour_ids = np.array(GSE72056_TUMOURS)[tumour]
    return Dataset(
        X=X, y=y, feature_names=names,
        sample_ids=np.array([f"Mel{t}_cell{i:04d}" for i, t in enumerate(tumour_ids)], dtype=object),
        groups=np.array([f"tumour {t}" for t in tumour_ids], dtype=object),
        info={
            "name": "gse72056", "source": "replica", "positive_class": "malignant",
            "task": "malignant vs non-malignant melanoma cells (replica of GSE72056)",
            "provenance": _provenance("gse72056", seed), "seed": seed,
            "cell_types": {k: int(v) for k, v in zip(*np.unique(cell_type, return_counts=True))},
            "ground_truth": design.ground_truth(
                activity, y, cell_type=cell_type.tolist(),
                markers={k: names[c].tolist() for k, (c, _) in markers.items()},
                tumour_specific_genes=names[tumour_cols].tolist(),
            ),
        },
    )


# --- TCGA-BRCA: bulk RNA-seq, log2(RSEM normalised count + 1) ------------------------------------

TCGA_TUMOURS, TCGA_NORMALS, TCGA_PAIRED_NORMALS = 1097, 114, 104


def tcga_brca(seed: int = 0) -> Dataset:
    """1,211 samples (1,097 primary tumours, 114 solid tissue normals; 7 metastases excluded as
    the real loader does) x 20,530 genes. 104 normals share a patient with a tumour."""
    rng = _rng(seed, "tcga_brca")
    names = gene_panel(20530)["symbol"].to_numpy(dtype=object)
    design = _Design(names, rng)
    d = len(names)
    n = TCGA_TUMOURS + TCGA_NORMALS
    y = np.r_[np.ones(TCGA_TUMOURS, np.int64), np.zeros(TCGA_NORMALS, np.int64)]

    silent = rng.random(d) < 0.12
    baseline = np.where(silent, rng.uniform(0, 1.5, d),
                        np.clip(rng.normal(8.5, 2.2, d), 1, 17)).astype(np.float32)
    gene_sd = np.exp(rng.normal(np.log(0.6), 0.4, d)).astype(np.float32)

    modules = [
        design.module("proliferation", ["MKI67", "TOP2A", "CCNB1", "BIRC5", "UBE2C", "CDK1",
                                        "AURKA", "CENPF", "TPX2", "MYBL2"], 40, 2.5),
        design.module("adipose_stroma", ["ADIPOQ", "LEP", "FABP4", "PLIN1", "CD36", "LPL",
                                         "CIDEA", "PLIN4", "GPD1", "RBP4"], 40, -2.3),
        design.module("luminal_er", ["ESR1", "PGR", "GATA3", "FOXA1", "XBP1", "TFF1", "AGR2",
                                     "SLC39A6"], 25, informative=True),
        design.module("basal", ["KRT5", "KRT14", "KRT17", "SFRP1", "FOXC1"], 20, informative=True),
        design.module("her2_amplicon", ["ERBB2", "GRB7", "STARD3", "PGAP3", "MIEN1", "PNMT"],
                      6, informative=True, loading=(0.8, 1.2)),
        design.module("immune", ["PTPRC", "CD3D", "CD8A", "CD19", "MS4A1", "CD74", "HLA-DRA"],
                      25, 0.0),
        *[design.module(f"program_{i + 1}", [], int(rng.integers(20, 41)),
                        float(rng.choice([-0.8, 0.8])) if i < 5 else 0.0) for i in range(10)],
    ]
    activity = _module_activity(rng, modules, y)
    # Subtypes of tumours (normals have none): ER+ luminal 78 %, basal-like 70 % of the rest,
    # HER2 amplification 15 %; their programmes therefore differ in mean between the classes.
    er_positive = (y == 1) & (rng.random(n) < 0.78)
    basal_like = (y == 1) & ~er_positive & (rng.random(n) < 0.7)
    activity[:, 2] += np.where(er_positive, 1.0, np.where(y == 1, -1.5, 0.0))
    activity[:, 3] += np.where(basal_like, 1.5, np.where(y == 1, -0.5, 0.5))
    her2_amplified = (y == 1) & (rng.random(n) < 0.15)
    activity[:, 4] = np.where(her2_amplified, rng.uniform(2, 4, n), 0).astype(np.float32)

    de_cols = design.pick(["COL11A1", "MMP11", "KIT", "CA4"], 154)
    de_effect = (rng.choice([-1, 1], len(de_cols)) * rng.uniform(0.5, 2.0, len(de_cols)))
    de_effect[:4] = [3.0, 3.0, -2.0, -2.5]
    de_effect = de_effect.astype(np.float32)
    design.record(de_cols, de_effect)

    patient_of_normal = np.r_[rng.choice(TCGA_TUMOURS, TCGA_PAIRED_NORMALS, replace=False),
                              TCGA_TUMOURS + np.arange(TCGA_NORMALS - TCGA_PAIRED_NORMALS)]
    patient = np.r_[np.arange(TCGA_TUMOURS), patient_of_normal]
    patient_cols = design.pick([], 500)
    patient_offsets = rng.normal(0, 0.3, size=(patient.max() + 1, 500)).astype(np.float32)

    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        m = rows.stop - rows.start
        level = baseline[None, :] + gene_sd[None, :] * rng.standard_normal((m, d), np.float32)
        level += rng.normal(0, 0.1, size=(m, 1)).astype(np.float32)
        level[:, de_cols] += np.where(y[rows, None] == 1, de_effect / 2, -de_effect / 2)
        _apply_modules(level, activity[rows], modules)
        level[:, patient_cols] += patient_offsets[patient[rows]]
        level[:, silent] *= rng.random((m, int(silent.sum())), dtype=np.float32) > 0.6
        X[rows] = np.maximum(level, 0)

    order = rng.permutation(n)
    codes = np.where(y == 1, "01A", "11A")
    barcodes = np.array([f"TCGA-{'ABCDEFGH'[p % 8]}{p % 10}-{p:04d}-{c}"
                         for p, c in zip(patient, codes)], dtype=object)
    return Dataset(
        X=X[order], y=y[order], feature_names=names, sample_ids=barcodes[order],
        groups=np.array([b[:12] for b in barcodes[order]], dtype=object),
        info={
            "name": "tcga_brca", "source": "replica", "positive_class": "primary tumour (01)",
            "task": "primary breast tumour vs solid tissue normal (replica of TCGA-BRCA HiSeqV2)",
            "provenance": _provenance("tcga_brca", seed), "seed": seed,
            "ground_truth": design.ground_truth(
                activity, y, er_positive_tumours=int(er_positive.sum()),
                her2_amplified_tumours=int(her2_amplified.sum()),
                patient_specific_genes=names[patient_cols].tolist(),
            ),
        },
    )


# --- ENCSR000AED derived task: 7-mer counts of 1 kb promoters, expressed vs not ----------------

ENCODE_GENES, ENCODE_POSITIVE_FRACTION, PROMOTER_LENGTH = 5300, 0.54, 1000
# (motif, rate in expressed promoters, rate in silent promoters): consensus sites of factors
# active in GM12878 lymphoblastoid cells, plus two class-neutral elements.
ENCODE_MOTIFS = {
    "SP1_GC_box": ("GGGGCGGGGC", 0.55, 0.20),
    "NRF1": ("GCGCATGCGC", 0.35, 0.08),
    "ETS_GABPA": ("ACCGGAAGTG", 0.45, 0.15),
    "NFY_CCAAT": ("AGCCAATCAG", 0.40, 0.15),
    "YY1": ("AAGATGGCGGC", 0.30, 0.10),
    "PU1_SPI1": ("AAAAGAGGAAGTG", 0.25, 0.10),
    "IRF": ("GAAAGTGAAAGT", 0.20, 0.08),
    "CTCF": ("CCGCGAGGGGGCAG", 0.20, 0.20),
    "TATA_box": ("TATAAAAG", 0.15, 0.15),
}
# First-order Markov backgrounds (rows: previous base A, C, G, T; columns: next base).
_CPG_ISLAND = np.array([[.20, .30, .32, .18], [.25, .30, .20, .25],
                        [.20, .32, .30, .18], [.12, .33, .35, .20]])
_CPG_POOR = np.array([[.32, .18, .24, .26], [.34, .26, .05, .35],
                      [.28, .20, .26, .26], [.22, .20, .26, .32]])


def _markov_sequences(rng, n: int, length: int, transition: np.ndarray) -> np.ndarray:
    seqs = np.empty((n, length), dtype=np.uint8)
    seqs[:, 0] = rng.integers(0, 4, n)
    cumulative = np.cumsum(transition / transition.sum(axis=1, keepdims=True), axis=1)
    for pos in range(1, length):
        u = rng.random(n)
        seqs[:, pos] = (u[:, None] > cumulative[seqs[:, pos - 1]]).sum(axis=1)
    return np.minimum(seqs, 3)


def encsr000aed(seed: int = 0) -> Dataset:
    """5,300 genes (54 % expressed) x 16,384 promoter 7-mer counts, from synthetic 1 kb promoters.

    Expressed genes more often have CpG-island promoters (70 % vs 20 %) and carry the motifs of
    ``ENCODE_MOTIFS`` at the stated rates; the counts go through the real loader's k-mer code.
    """
    rng = _rng(seed, "encsr000aed")
    genes = human_genes().drop_duplicates("ensembl_id")
    pick = np.sort(rng.choice(len(genes), ENCODE_GENES, replace=False))
    gene_ids = genes["ensembl_id"].to_numpy(dtype=object)[pick]
    n_expressed = round(ENCODE_GENES * ENCODE_POSITIVE_FRACTION)
    y = rng.permutation(np.r_[np.ones(n_expressed), np.zeros(ENCODE_GENES - n_expressed)])
    y = y.astype(np.int64)
    cpg_island = rng.random(ENCODE_GENES) < np.where(y == 1, 0.7, 0.2)

    seqs = np.empty((ENCODE_GENES, PROMOTER_LENGTH), dtype=np.uint8)
    seqs[cpg_island] = _markov_sequences(rng, int(cpg_island.sum()), PROMOTER_LENGTH, _CPG_ISLAND)
    seqs[~cpg_island] = _markov_sequences(rng, int((~cpg_island).sum()), PROMOTER_LENGTH,
                                          _CPG_POOR)
    alphabet = np.frombuffer(b"ACGT", dtype=np.uint8)
    planted = {}
    for name, (motif, rate_pos, rate_neg) in ENCODE_MOTIFS.items():
        carriers = rng.random(ENCODE_GENES) < np.where(y == 1, rate_pos, rate_neg)
        codes = np.frombuffer(motif.encode(), dtype=np.uint8)
        codes = np.searchsorted(alphabet, codes)
        starts = rng.integers(0, PROMOTER_LENGTH - len(motif), ENCODE_GENES)
        if name == "TATA_box":  # the TATA box sits ~30 bp upstream of the transcription start
            starts[:] = PROMOTER_LENGTH - 30 - len(motif)
        for i in np.flatnonzero(carriers):
            seqs[i, starts[i] : starts[i] + len(motif)] = codes
        planted[name] = int(carriers.sum())
    text = alphabet[seqs]
    X = count_matrix((row.tobytes() for row in text), 7)

    names = kmer_names(7)
    motif_kmers = {
        name: sorted({m[i : i + 7] for i in range(len(m) - 6)})
        for name, (m, _, _) in ENCODE_MOTIFS.items()
    }
    effects = {}
    for name, (_, rate_pos, rate_neg) in ENCODE_MOTIFS.items():
        for kmer in motif_kmers[name]:
            effects[kmer] = effects.get(kmer, 0.0) + rate_pos - rate_neg
    cpg_kmers = [k for k in names if "CG" in k]
    truth = {
        "informative_features": sorted({k for k, e in effects.items() if e != 0} | set(cpg_kmers)),
        "effects": {k: round(e, 3) for k, e in effects.items()},
        "modules": {
            **{f"motif_{name}": {"features": motif_kmers[name],
                                 "informative": rate_pos != rate_neg,
                                 "rates_expressed_silent": [rate_pos, rate_neg]}
               for name, (_, rate_pos, rate_neg) in ENCODE_MOTIFS.items()},
            "cpg_island_composition": {"features": cpg_kmers, "informative": True,
                                       "rates_expressed_silent": [0.7, 0.2]},
        },
        "motif_carriers": planted,
        "cpg_island_promoters": int(cpg_island.sum()),
    }
    return Dataset(
        X=X, y=y, feature_names=names, sample_ids=gene_ids,
        info={
            "name": "encsr000aed", "source": "replica", "positive_class": "expressed (TPM >= 1)",
            "task": "expressed vs not expressed genes from promoter 7-mer counts "
                    "(replica of the ENCSR000AED derived task)",
            "provenance": _provenance("encsr000aed", seed), "seed": seed,
            "ground_truth": truth,
        },
    )
