"""A second health community runs end to end through the command line without touching code.

``tests/community_b/`` is a small invented community (Fjordby and Dalvik, Fjordby sjukehus, KPI 6
for the Fjordtun unit) with its own scenario, interventions, study and calibration files. If a
fact of St. Olavs' community were still in the code, its names would show up in these outputs.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ukp_sim.cli.main import main
from ukp_sim.config.loader import load_scenario

pytestmark = pytest.mark.slow

SOURCE = Path(__file__).resolve().parent / "community_b"
FOREIGN = ("Trondheim", "St. Olav", "Øya", "Oya helsehus", "Melhus", "Malvik")


def _assert_only_community_b(text: str, where: str) -> None:
    found = [w for w in FOREIGN if w in text]
    assert not found, f"{where} names {found}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A copy of the community's files (calibration writes its calibrated scenario beside them)."""
    out = tmp_path_factory.mktemp("community_b")
    for f in SOURCE.glob("*.toml"):
        shutil.copy(f, out)
    return out


def test_run_and_compare(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert main(["run", "baseline.toml", "-n", "2", "--seed", "3", "--jobs", "1", "--out", "run"]) == 0
    printed = capsys.readouterr().out
    kpis = pd.read_csv(folder / "run" / "kpis.csv")
    assert {"Fjordby", "Dalvik", "Fjordby/Fjordtun", "Dalvik/Dalheim"} <= set(kpis["municipality"])
    assert "Liggetid korttidsopphold" in printed and " %" in printed and "," in printed  # bokmål numbers
    _assert_only_community_b(printed, "the run's table")

    assert main(["compare", "baseline.toml", "bed_sharing.toml", "-n", "2", "--seed", "3", "--jobs", "1",
                 "--out", "compare", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    diffs = pd.read_csv(folder / "compare" / "differences.csv")
    assert set(diffs["municipality"]) >= {"Fjordby", "Dalvik"}
    assert "paired differences against" in printed and "UKP-days saved" in printed
    _assert_only_community_b(printed, "the comparison")


def test_study(folder, monkeypatch):
    monkeypatch.chdir(folder)
    assert main(["study", "study.toml", "--jobs", "1", "--quiet", "--out", "study"]) == 0
    out = folder / "study"
    for name in ("kpis.csv", "differences.csv", "savings.csv", "report.md", "report.en.md", "report.html",
                 "report.en.html", "run.json", "figures/kpi_trajectories.svg", "figures/cost_saved.en.png"):
        assert (out / name).is_file(), name
    nb, en = (out / "report.md").read_text(), (out / "report.en.md").read_text()
    for text, lang in ((nb, "nb"), (en, "en")):
        assert "Fjordby sjukehus" in text and "KPI 6 for Fjordtun" in text
        # UKP-days per 1,000 and each measure's change, by municipality (two tables)
        assert text.count("| Fjordby |") == 2 and text.count("| Dalvik |") == 2
        _assert_only_community_b(text, f"report ({lang})")
    # its own period (2024 baseline year, 2025), not the standard study's 2023-2026
    assert "KPI-målene, 2025" in nb and "| Scenario | 2024 | 2025 |" in nb
    assert "2023–2026" not in nb + en and "2024–2026" not in nb + en
    for svg in (out / "figures").glob("*.svg"):
        _assert_only_community_b(svg.read_text(), svg.name)
    assert "Fjordby" in (out / "figures" / "korttid_occupancy.svg").read_text()
    _assert_only_community_b((out / "report.html").read_text(), "report.html")


def test_calibrate(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    # --force: the small search here is about describing community B, not about fitting it well
    # (without it, a year with no plausible candidate keeps its old scenario and exits with 1)
    assert main(["calibrate", "calibration.toml", "--seed", "5", "--jobs", "1", "--quiet", "--force"]) == 0
    assert "2024:" in capsys.readouterr().out
    for name in ("report.md", "report.en.md", "plausible_2024.csv", "fig_fit_2024.png", "fig_params_2024.en.png"):
        assert (folder / name).is_file(), name
    report = (folder / "report.md").read_text()
    assert "Fjordby/Fjordtun" in report and "| **Fjordby** |" in report and "| **Dalvik** |" in report
    _assert_only_community_b(report, "calibration report")
    _assert_only_community_b((folder / "report.en.md").read_text(), "calibration report (en)")
    calibrated = load_scenario(folder / "baseline_2024.toml")
    assert calibrated.description.startswith("Fjordby og Dalvik helsefellesskap")
    assert calibrated.community.kpi6_unit == "Fjordby/Fjordtun"
