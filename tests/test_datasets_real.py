"""Real-format loaders, run on small files written in exactly the archives' formats."""

import gzip
import json

import numpy as np
import pytest

from genomics_hybrid.datasets import DataError, DataNotFoundError, load, registry
from genomics_hybrid.datasets.kmers import count_kmers, kmer_names


def test_gse72056_drops_unresolved_cells_and_labels_malignant(gse72056_file):
    ds = load("gse72056", source="real")
    assert ds.X.shape == (10, 8) and ds.X.dtype == np.float32
    assert ds.y.tolist() == [1, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    assert ds.info["unresolved_cells_dropped"] == 2
    assert ds.info["source"] == "real" and ds.info["positive_class"] == "malignant"
    assert sorted(set(ds.groups)) == ["tumour 78", "tumour 79", "tumour 80"]
    assert ds.feature_names[-1] == "RPS11.1"  # a gene repeated in the file keeps both rows
    assert ds.info["repeated_gene_rows_suffixed"] == 1
    assert ds.info["cell_types"]["T"] == 2


def test_gse72056_values_are_the_files_values(gse72056_file):
    ds = load("gse72056", source="real")
    with gzip.open(gse72056_file, "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    first_gene = np.array(rows[4][1:], dtype=float)
    keep = np.array(rows[2][1:], dtype=int) != 0
    np.testing.assert_allclose(ds.X[:, 0], first_gene[keep], atol=1e-6)
    assert ds.sample_ids[0] == rows[0][1]


def test_checksum_is_recorded_then_verified(gse72056_file, data_home):
    load("gse72056", source="real")
    recorded = json.loads((data_home / "checksums.json").read_text())
    assert list(recorded) == ["gse72056/GSE72056_melanoma_single_cell_revised_v2.txt.gz"]
    with gzip.open(gse72056_file, "at") as fh:
        fh.write("EXTRA\t" + "\t".join(["1"] * 12) + "\n")
    with pytest.raises(DataError, match="Checksum mismatch.*download it again"):
        load("gse72056", source="real")


def test_truncated_gzip_is_reported_as_such(gse72056_file, data_home):
    data = gse72056_file.read_bytes()
    gse72056_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load("gse72056", source="real")


def test_wrong_file_in_place_of_gse72056(data_home, xena_file):
    target = data_home / "gse72056" / "GSE72056_melanoma_single_cell_revised_v2.txt.gz"
    target.parent.mkdir()
    target.write_bytes(xena_file.read_bytes())
    with pytest.raises(DataError, match="annotation rows"):
        load("gse72056", source="real")


def test_xena_sample_types_from_barcode(xena_file):
    ds = load("tcga_brca", source="real")
    assert ds.X.shape == (7, 5)
    assert dict(zip(ds.sample_ids, ds.y)) == {
        "TCGA-A1-A0SB-01": 1, "TCGA-A1-A0SB-11": 0, "TCGA-A2-A04P-01": 1, "TCGA-BH-A0BZ-01": 1,
        "TCGA-BH-A0BZ-11": 0, "TCGA-AC-A2QH-01": 1, "TCGA-E9-A1N9-11": 0}
    assert ds.info["excluded_sample_types"] == {"06": 1}
    assert ds.groups[0] == ds.groups[1] == "TCGA-A1-A0SB"  # tumour and normal of one patient


def test_xena_rejects_non_barcode_columns(data_home):
    import real_formats

    real_formats.write_xena(data_home / "tcga_brca" / "HiSeqV2.gz", ["sampleA", "sampleB"],
                            [("TP53", [1.0, 2.0])])
    with pytest.raises(DataError, match="not a TCGA sample barcode"):
        load("tcga_brca", source="real")


def test_encode_rule_and_kmer_counts(encode_files):
    ds = load("encsr000aed", source="real")
    assert ds.X.shape == (3, 4**7)
    assert dict(zip(ds.sample_ids, ds.y)) == {
        "ENSG00000000003": 1, "ENSG00000000005": 0, "ENSG00000000460": 0}
    assert ds.info["genes_ambiguous_excluded"] == 2  # TPM between 0.1 and 1 in a replicate
    assert ds.info["genes_without_promoter_excluded"] == 1
    names = list(ds.feature_names)
    silent = ds.X[list(ds.sample_ids).index("ENSG00000000005")]
    assert silent[names.index("AAAAAAA")] == 4 and silent[names.index("CCCCCCC")] == 2
    assert silent.sum() == 6  # windows with N are skipped, lowercase counts
    expressed = ds.X[0]
    assert expressed.sum() == 80 - 7 + 1  # every window of an 80-base ACGT sequence
    assert expressed[names.index("ACGTACG")] == 8  # once per "ACGTACGTAC" block


def test_kmer_counting_matches_a_naive_count():
    rng = np.random.default_rng(3)
    seq = "".join(rng.choice(list("ACGTN"), size=300, p=[.24, .24, .24, .24, .04]))
    counts = count_kmers(seq, 4)
    names = list(kmer_names(4))
    naive = np.zeros(256)
    for i in range(len(seq) - 3):
        if "N" not in seq[i : i + 4]:
            naive[names.index(seq[i : i + 4])] += 1
    np.testing.assert_array_equal(counts, naive)


def test_encode_needs_two_replicates(encode_files):
    (encode_files / "quantifications" / "ENCFF000AAB.tsv").unlink()
    with pytest.raises(DataError, match="exactly two"):
        load("encsr000aed", source="real")


def test_encode_ignores_a_partial_download(encode_files):
    """An interrupted download leaves `<file>.tsv.part`; it is not a third replicate."""
    quant_dir = encode_files / "quantifications"
    (quant_dir / "ENCFF000AAC.tsv.part").write_text("gene_id\tTPM\n")
    assert len(load("encsr000aed", source="real").sample_ids) == 3
    (quant_dir / "ENCFF000AAB.tsv").unlink()
    with pytest.raises(DataError, match="exactly two"):
        load("encsr000aed", source="real")
    assert not registry.get("encsr000aed").has_real_files()


@pytest.mark.parametrize("name, expected", [
    ("gse72056", "GSE72056_melanoma_single_cell_revised_v2.txt.gz"),
    ("tcga_brca", "HiSeqV2.gz"),
    ("encsr000aed", "quantifications"),
])
def test_missing_real_files_say_what_to_place_where(data_home, name, expected):
    with pytest.raises(DataNotFoundError) as err:
        load(name, source="real")
    message = str(err.value)
    assert expected in message and str(data_home) in message
    assert f"genomics-hybrid download {name}" in message and "source='replica'" in message


def test_auto_uses_real_files_when_present(xena_file):
    assert load("tcga_brca", source="auto").source == "real"


def test_auto_falls_back_to_the_replica_and_says_so(data_home):
    with pytest.warns(UserWarning, match="synthetic replica"):
        ds = load("encsr000aed")
    assert ds.source == "replica"
