"""genomics-hybrid: an executable reproduction of the TabNet -> AFR -> 1-D CNN paper."""

import warnings

__version__ = "0.1.0"

# The package draws tqdm's text bars; some dependencies import tqdm.auto, which in a notebook
# without ipywidgets warns "IProgress not found" at import. Silenced here, before any submodule
# is imported, so no notebook shows it.
warnings.filterwarnings("ignore", message="IProgress not found")
