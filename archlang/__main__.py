"""`python -m archlang`: the same command line as `archlang`."""

from archlang.cli import main

raise SystemExit(main())
