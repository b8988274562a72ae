"""``python -m tinygrad_lr.cli``: the ``tinygrad-lr`` command (as ``python -m tinygrad_lr``)."""
from . import main

raise SystemExit(main())
