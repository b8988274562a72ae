"""``python -m tinygrad_lr``: the ``tinygrad-lr`` command (see tinygrad_lr/cli/)."""
from .cli import main

raise SystemExit(main())
