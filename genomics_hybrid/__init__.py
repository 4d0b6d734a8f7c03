"""genomics-hybrid: an executable reproduction of the TabNet -> AFR -> 1-D CNN paper."""

import os
import warnings

__version__ = "0.1.0"

# The package draws tqdm's text bars; some dependencies import tqdm.auto, which in a notebook
# without ipywidgets warns "IProgress not found" at import. Silenced here, before any submodule
# is imported, so no notebook shows it.
warnings.filterwarnings("ignore", message="IProgress not found")

# PyTorch's CPU allocator aligns tensors of 2 MB and more to 2 MB and asks the kernel for
# transparent huge pages for them when THP_MEM_ALLOC_ENABLE is set (pytorch/pytorch#115990). On
# wide data the hybrid's batch x genes tensors then stop fragmenting glibc's heap: one
# GSE72056-replica fit (3,610 x 23,686, 3 epochs a stage, one thread) peaked at 1.85 GiB RSS
# instead of 1.99 and ran in 49 s instead of 55 (benchmarks/model_speed.py --full-only
# --max-epochs 3). Alignment only: every value is the same (tests/test_model.py). PyTorch
# reads the variable at its first CPU allocation, so it is set here, before any submodule
# imports torch; a user's own setting wins, and where the kernel's THP mode is "never" it does
# nothing.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
