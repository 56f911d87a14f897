"""``python -m benchmarks [--quick] [--only KEY] [--jobs N]``: regenerate BENCHMARKS.md."""

from .regenerate import main

raise SystemExit(main())
