"""The standard study: the calibrated 2023 baseline against each intervention alone and the
combined strategy, 2023-2026, with common random numbers.

``make run`` and ``ukp-sim study`` run the same code (ukp_sim/cli/study.py) with the same options;
this script is kept for those who call it from a checkout:

    python experiments/standard_study.py                      # both languages, 30 replications
    python experiments/standard_study.py --lang en --jobs 2
    python experiments/standard_study.py --only combined -n 10 --out results/quick

The study itself (scenarios, period, seed, replications) is experiments/standard_study.toml; the
code is ukp_sim/analysis/study.py (running and tables), ukp_sim/report/study_figures.py and
ukp_sim/report/study_report.py.
"""
import sys

from ukp_sim.cli.study import main

if __name__ == "__main__":
    sys.exit(main())
