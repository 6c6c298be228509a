"""The standard study: the calibrated 2023 baseline against each intervention alone and the
combined strategy, 2023-2026, with common random numbers (what `make run` runs).

    python experiments/standard_study.py                      # both languages, 30 replications
    python experiments/standard_study.py --lang en --jobs 2
    python experiments/standard_study.py --only combined -n 10 --out results/quick

The study itself (scenarios, period, seed, replications) is experiments/standard_study.toml; the
code is ukp_sim/study.py (running and tables), ukp_sim/study_figures.py and ukp_sim/study_report.py.
"""
import sys

from ukp_sim.cli.study import main

if __name__ == "__main__":
    sys.exit(main())
