#!/usr/bin/env bash
# Mutation testing of the KPI code (ukp_sim/kpi/compute.py) with mutmut 3.
#
#   tests/mutation/mutmut_kpi.sh [scratch-dir]      (default: /tmp/ukp-mutmut)
#
# Runs in a scratch copy of the committed tree (git archive HEAD), so mutmut's config and its
# work files (mutants/, .mutmut-cache) never enter the repository; the runner is the KPI tests
# that are fast and exact: tests/test_kpi.py, tests/test_wait_shares.py and the back-test. Needs `pip install mutmut`
# (3.x) in .venv. About 30-60 minutes on 2 busy cores; prints the summary at the end and leaves
# `mutmut results` / `mutmut show <name>` usable in the scratch dir.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scratch=${1:-/tmp/ukp-mutmut}
py="$repo/.venv/bin"
rm -rf "$scratch" && mkdir -p "$scratch"
git -C "$repo" archive HEAD | tar -x -C "$scratch"
cat > "$scratch/setup.cfg" <<'CFG'
[mutmut]
source_paths = ukp_sim
only_mutate =
    ukp_sim/kpi/compute.py
pytest_add_cli_args_test_selection =
    tests/test_kpi.py
    tests/test_wait_shares.py
    tests/backtest
also_copy =
    tests
    scenarios
CFG
cd "$scratch"
# Every function of compute.py except _definitions, whose ~385 mutants only change the prose of
# the KPI definitions (written into run.json, read by people, not by code).
"$py/mutmut" run --max-children 2 \
    'ukp_sim.kpi.compute.x_compute_kpis__mutmut_*' 'ukp_sim.kpi.compute.x__korttid_census__mutmut_*' \
    'ukp_sim.kpi.compute.x__hospital_census__mutmut_*' 'ukp_sim.kpi.compute.x__readmitted_within__mutmut_*' \
    'ukp_sim.kpi.compute.x*_Period*__mutmut_*' 'ukp_sim.kpi.compute.x_definitions_for__mutmut_*' \
    'ukp_sim.kpi.compute.x_wait_days__mutmut_*' || true
"$py/mutmut" results --all true > mutmut_results.txt 2>&1 || "$py/mutmut" results > mutmut_results.txt 2>&1 || true
awk -F': ' 'NF == 2 {print $2}' mutmut_results.txt | sort | uniq -c
