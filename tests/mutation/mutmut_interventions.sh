#!/usr/bin/env bash
# Mutation testing of the episode plug-ins (discharge team, early assessment, frailty pathway:
# planning time, destination, readmission risk) with mutmut 3.
#
#   tests/mutation/mutmut_interventions.sh [scratch-dir]      (default: /tmp/ukp-mutmut-iv)
#   ALL=1 tests/mutation/mutmut_interventions.sh              (every plug-in module, not only these)
#
# Runs in a scratch copy of the committed tree like mutmut_kpi.sh; the runner is the tests that
# pin these plug-ins' effects through scenario files: the readmission risk ratio and eligibility tests, the toy
# plug-in test and the fast intervention tests; and those that call the hooks directly: the plug-in hooks,
# bed sharing on hand-driven pools and the tables' checks. Needs `pip install mutmut` (3.x) in .venv.
# test_interventions.py clears its run cache per test under mutmut (forked runs would reuse it).
# The survivors of ALL=1 judged equivalent, with the reasons: interventions_equivalent.md here.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scratch=${1:-/tmp/ukp-mutmut-iv}
py="$repo/.venv/bin"
rm -rf "$scratch" && mkdir -p "$scratch"
git -C "$repo" archive HEAD | tar -x -C "$scratch"
if [ "${ALL:-0}" = 1 ]; then
  modules=$(cd "$scratch" && ls ukp_sim/interventions/*.py | grep -v -e __init__ -e registry | sed 's/^/    /')
else
  modules=$(printf '    ukp_sim/interventions/%s.py\n' discharge_team early_assessment frailty_pathway)
fi
cat > "$scratch/setup.cfg" <<CFG
[mutmut]
source_paths = ukp_sim
only_mutate =
$modules
pytest_add_cli_args_test_selection =
    tests/test_readmission_risk_ratio.py
    tests/test_intervention_eligibility.py
    tests/test_plugin_toy.py
    tests/test_interventions.py
    tests/test_plugin_hooks.py
    tests/test_bed_sharing_pools.py
    tests/test_intervention_checks.py
pytest_add_cli_args =
    -m
    not slow
also_copy =
    tests
    scenarios
CFG
cd "$scratch"
"$py/mutmut" run --max-children 2 || true
"$py/mutmut" results --all true > mutmut_results.txt 2>&1 || "$py/mutmut" results > mutmut_results.txt 2>&1 || true
awk -F': ' 'NF == 2 {print $2}' mutmut_results.txt | sort | uniq -c
