"""Start-up of the command line: building the parser and validating a scenario must not import
the heavy libraries (so ``ukp-sim --help`` and ``ukp-sim validate`` start fast), and every command
module is one command of modest size. A behavioural check, not a timing one: it runs in a fresh
interpreter and looks at ``sys.modules``."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "matplotlib", "scipy", "simpy")

PROBE = """
import contextlib, io, sys
from ukp_sim.cli.main import build_parser, main
parser = build_parser()
parser.parse_args(["validate", sys.argv[1]])
with contextlib.redirect_stdout(io.StringIO()) as out:
    rc = main(["validate", sys.argv[1]])
assert rc == 0 and "OK" in out.getvalue(), out.getvalue()
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


def test_parser_and_validate_import_no_heavy_library():
    scenario = ROOT / "scenarios" / "baseline_2023.toml"
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), str(scenario)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at start-up: {done.stdout.strip()}"


def test_help_texts_that_need_the_analysis_layer_are_filled_in_when_shown():
    """The lever list and the default precision KPIs come from the analysis layer, loaded only for
    --help; they must still be in the help."""
    from ukp_sim.analysis.lever_search import LEVERS
    from ukp_sim.analysis.precision import DEFAULT_PRECISION_KPIS
    from ukp_sim.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    target, run = sub["target"].format_help(), sub["run"].format_help()
    assert all(name in target for name in LEVERS)
    assert "levers (value 0 is the scenario as given" in target
    assert ",".join(DEFAULT_PRECISION_KPIS) in run.replace("\n", "").replace(" ", "")


def test_help_examples_build_on_the_calibrated_baseline():
    """No example extends or runs the uncalibrated prior (scenarios/baseline.toml)."""
    from ukp_sim.cli.main import EPILOG, build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices
    texts = [EPILOG, *(p.format_help() for p in sub.values())]
    for text in texts:
        assert not re.search(r"(?<!\w)baseline\.toml|baseline_prior", text), text
    assert "scenarios/baseline_2023.toml" in EPILOG


def test_one_module_per_command_each_under_400_lines():
    from ukp_sim.cli.main import COMMANDS

    assert set(COMMANDS) == {"run", "compare", "target", "validate", "calibrate", "study", "cache"}
    for name, module in COMMANDS.items():
        assert module.__name__ == f"ukp_sim.cli.{name}"
    for path in (ROOT / "ukp_sim" / "cli").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


def test_the_bundled_study_and_scenarios_are_the_repository_files():
    """ukp_sim/data/experiments/standard_study.toml and ukp_sim/data/scenarios are the repository's
    files (links in a source tree), so the built-in study cannot drift from experiments/."""
    from ukp_sim.cli.study import DEFAULT_STUDY

    data = ROOT / "ukp_sim" / "data"
    assert DEFAULT_STUDY == data / "experiments" / "standard_study.toml"
    assert DEFAULT_STUDY.read_bytes() == (ROOT / "experiments" / "standard_study.toml").read_bytes()
    repo = sorted(p.relative_to(ROOT / "scenarios") for p in (ROOT / "scenarios").rglob("*.toml"))
    bundled = sorted(p.relative_to(data / "scenarios") for p in (data / "scenarios").rglob("*.toml"))
    assert repo and bundled == repo
    for rel in repo:
        assert (data / "scenarios" / rel).read_bytes() == (ROOT / "scenarios" / rel).read_bytes()


def test_a_whatif_anywhere_can_extend_the_bundled_calibrated_baseline(tmp_path, capsys):
    """Outside a checkout (e.g. installed from a wheel) a what-if can still build on the calibrated
    baseline: `extends = "scenarios/baseline_2023.toml"` falls back to the package's copy."""
    from ukp_sim.cli.main import main

    whatif = tmp_path / "my_whatif.toml"
    whatif.write_text('extends = "scenarios/baseline_2023.toml"\nname = "mine"\n', encoding="utf-8")
    assert main(["validate", str(whatif)]) == 0
    assert "OK — scenario 'mine', 20 municipalities" in capsys.readouterr().out
