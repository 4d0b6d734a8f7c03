"""What the hybrid model attends to, and whether it is right: the paper's Figs. 10-12, checked.

    >>> from genomics_hybrid import figures, interpret
    >>> scores = interpret.attention(model, X_train, feature_names)     # gene -> share, sorted
    >>> figures.attention_bar_figure(scores, top=20)                    # Fig. 10a / 11a / 12a
    >>> maps = interpret.activation_maps(model, X_test, y_test)         # per conv block, per class
    >>> figures.activation_heatmap_figure(maps[0])                      # Fig. 10b / 11b / 12b
    >>> interpret.grad_cam(model, X_test[y_test == 1])                  # selected gene -> score

The paper shows attention bars and activation maps and reads biology into them; it never checks
them. This package adds the checks: precision@k against the planted truth of the replicas (beside
L1-logistic coefficients, an ANOVA F filter and permutation importance, all from the same
training rows), overlap with literature B-cell markers on pbmc68k, and the stability of the
top-k genes across CV folds and seeds.

Every function takes the fitted ``HybridClassifier``, or a fitted pipeline ending in one
(``preprocess.make_pipeline``): then ``X`` holds the raw columns, the pipeline's transform steps
run batch by batch (its samplers are skipped, as when predicting) and the scores are mapped to
the names of the columns the classifier saw. Rows go through the network ``batch_size_`` at a
time in float32: a 4,500 x 23,686 input is never copied whole.

The package is cut by layer (scanpy's ``tl`` / ``pl`` split; the figures are in
``genomics_hybrid.figures``):

- ``introspection``: what the network's layers hold (attention, refiner weights, activation
  maps, Grad-CAM); reads a fitted model, fits nothing;
- ``rankings``: statistics of gene rankings (top k, precision@k, top-k Jaccard, marker overlap,
  known genes, the book's tables); reads no model;
- ``checks``: the checks that fit models (attention stability across folds and seeds, reference
  rankings, permutation importance, precision against the planted truth).

Every public name is importable from ``genomics_hybrid.interpret`` itself.
"""

from ..datasets.bundled import B_CELL_MARKERS
from .checks import (STORED_GENES, AttentionStability, attention_record, attention_stability,
                     ground_truth_precision, reference_rankings)
from .introspection import activation_maps, attention, grad_cam, refiner_weights
from .rankings import (PRECISION_COLUMNS, MarkerOverlap, jaccard, known_genes, marker_overlap,
                       marker_table, precision_at_k, precision_table, ranking_table,
                       stability_summary, tidy_tables, top_genes, top_k_jaccard)

__all__ = [
    "B_CELL_MARKERS", "PRECISION_COLUMNS", "STORED_GENES", "AttentionStability", "MarkerOverlap",
    "activation_maps", "attention", "attention_record", "attention_stability", "grad_cam",
    "ground_truth_precision", "jaccard", "known_genes", "marker_overlap", "marker_table",
    "precision_at_k", "precision_table", "ranking_table", "reference_rankings",
    "refiner_weights", "stability_summary", "tidy_tables", "top_genes", "top_k_jaccard",
]
