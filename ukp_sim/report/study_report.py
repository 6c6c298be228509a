"""The standard study's report: Markdown and a self-contained HTML page, bokmål or English.

The report is meant to be attached to a funding application, so every number in it comes from
the study's tables with its 95 % confidence interval, and it ends with what reproduces it
(command, seed, version, date, scenario files with their SHA-256) and a STRESS-DES checklist
(Monks et al. 2019). The HTML is the same text, rendered by Python-Markdown, with the figures
embedded as data so the one file can be mailed.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import math
import re

import pandas as pd

from ukp_sim.kpi import TOTAL, KpiDefinition
from ukp_sim.report.labels import SAVING_LABELS, STATUS_LABELS, format_number, scenario_label
from ukp_sim.config.targets import load_targets

STRATEGY_KPIS = ("ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share", "readmission_30d_share",
                 "korttid_los")
OYA = "Trondheim/Øya helsehus"


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
def num(value: float, decimals: int = 0, lang: str = "nb") -> str:
    """A number in the reader's style (``study_labels.format_number``) with fixed decimals."""
    return format_number(value, decimals, lang)


def _scaled(value: float, unit: str) -> tuple[float, int, str, str]:
    """(value in display units, decimals, nb suffix, en suffix): shares in percent, NOK in millions."""
    if unit == "share":
        return 100 * value, 1, " %", " %"
    if unit == "NOK":
        return value / 1e6, 1, " mill. kr", " MNOK"
    if unit in ("days", "stays") and abs(value) >= 100:
        return value, 0, "", ""
    return value, 1, "", ""


def value_text(value: float, unit: str, lang: str) -> str:
    """A KPI value with its unit's precision: shares in percent, NOK in millions."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v, dec, nb, en = _scaled(value, unit)
    return num(v, dec, lang) + (nb if lang == "nb" else en)


def ci_text(mean: float, lo: float, hi: float, unit: str, lang: str) -> str:
    """'8 369 (6 885–9 853)', '71,2 (70,1–72,3) %', '−0,3 (−0,6 til −0,1)': the mean and its 95 % CI,
    the unit once; 'til'/'to' instead of a dash when a bound is negative."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if isinstance(lo, float) and math.isnan(lo):
        return value_text(mean, unit, lang)
    v, dec, nb, en = _scaled(mean, unit)
    if unit in ("days", "stays") and max(abs(mean), abs(lo), abs(hi)) >= 100:
        dec = 0
    scale = {"share": 100.0, "NOK": 1e-6}.get(unit, 1.0)
    sep = "–" if lo >= 0 and hi >= 0 else (" til " if lang == "nb" else " to ")
    return (f"{num(v, dec, lang)} ({num(lo * scale, dec, lang)}{sep}{num(hi * scale, dec, lang)})"
            + (nb if lang == "nb" else en))


def direction(d: str) -> str:
    return {"<=": "≤", ">=": "≥"}.get(d, d)


def pct(value: float, lang: str) -> str:
    return "–" if value is None or math.isnan(value) else f"{num(100 * value, 0, lang)} %"


# ---------------------------------------------------------------------------------------------
# Fixed text
# ---------------------------------------------------------------------------------------------
T = {
    "nb": {
        "title": "Standardstudien: strategiens tiltak mot de seks KPI-målene, 2024–2026",
        "generated": "Laget {date} med ukp-sim {version}. Frø {seed}, {n} replikasjoner per scenario, felles "
                     "tilfeldige tall. Alle tall er gjennomsnitt over replikasjonene med 95 % konfidensintervall "
                     "(KI) i parentes.",
        "interrupted": "**Avbrutt:** kjøringen ble stoppet før alle replikasjoner var ferdige; rapporten bygger "
                       "på de {n} replikasjonene som alle scenarier fullførte.",
        "q_h": "1. Spørsmålet",
        "q": "Hvilke av tiltakene i handlingsplanen til kompetansegruppen for utskrivningsklare pasienter (UKP) "
             "i helsefellesskapet St. Olavs hospital – kommunene får helsefellesskapet til de seks målene ASU "
             "vedtok 6. september 2023, alene og sammen, når, til hvilken kostnad, og hvor sikre er vi? "
             "Studien simulerer 2023 (kalibrert basisår, ingen tiltak startet) og fortsetter fra den simulerte "
             "tilstanden gjennom 2024, 2025 og 2026 for hvert scenario.",
        "find_h": "2. Hovedfunn",
        "model_h": "3. Modellen i korte trekk",
        "model": (
            "En diskret hendelsessimulering (SimPy) av pasientflyten mellom St. Olavs hospital og de 20 "
            "kommunene: innleggelser per kommune, måned og ukedag; behandling til pasienten meldes "
            "utskrivningsklar; kommunens saksbehandling (timer, og dager for en andel «komplekse» pasienter); "
            "mottak i kommunens åpningstider og helligdagskalender; korttidsplasser per kommune og enhet, "
            "vedtak om hjemmetjenester med daglige oppstartskapasiteter, langtidsplasser som en kø; og "
            "reinnleggelser innen 30 dager. Hver UKP-dag telles etter den nasjonale regelen (utskrivningsdato "
            "minus dato meldt utskrivningsklar). Tiltakene endrer modellen gjennom sin mekanisme (for eksempel "
            "et team med et begrenset antall plasser), ikke ved å justere resultatet. Full beskrivelse: "
            "`docs/model.md` og `docs/interventions.md`."),
        "scen_h": "4. Scenarier, tiltak og evidens",
        "scen": "Hvert scenario slår på ett tiltak med standardverdiene (dokumentert i `docs/interventions.md`), "
                "på toppen av den kalibrerte 2023-basen. «Samlet strategi» slår på alle seks. Ekstra kapasitet "
                "(flere plasser, mer hjemmetjeneste, helgemottak) er ikke en del av strategien og er ikke med.",
        "param": ("Parameter", "Verdi", "Beskrivelse (fra skjemaet)"),
        "res_h": "5. Resultater",
        "kpi_h": "5.1 KPI-ene per år (hele helsefellesskapet; KPI 6 for Øya helsehus)",
        "kpi_note": "Måloppnåelse = andel av veien fra basisverdien 2023 (ASUs referanse) til målet; milepæler: "
                    "50 % etter ett år (2024), 100 % etter to (2025). Status: grønn = målet nådd; gul = minst "
                    "50 % av veien; rød = ellers.",
        "fig_h": "5.2 Figurer",
        "sav_h": "5.3 Hva tiltakene sparer mot referansen",
        "sav_note": "Parvise differanser (referanse − scenario) med felles tilfeldige tall; positive tall er "
                    "besparelser. Kostnad = UKP-døgn × døgnprisen det året. Senger frigjort = gjennomsnittlig "
                    "antall sykehussenger UKP holder per døgn.",
        "diff_h": "5.4 Endring i KPI-ene i 2025 mot referansen",
        "diff_note": "Parvis differanse (scenario − referanse) med 95 % KI; * = KI utelukker 0.",
        "muni_h": "5.5 UKP-døgn per 1000 innbyggere per kommune, {year}",
        "check_h": "5.6 Kontroll: simulert 2023 mot observert",
        "check_note": "Basisåret skal gjenskape 2023-tallene kalibreringen traff (se `calibration/report.md`).",
        "ass_h": "6. Antakelser",
        "lim_h": "7. Begrensninger",
        "stress_h": "8. STRESS-DES-sjekkliste",
        "repro_h": "9. Reproduksjon",
        "repro": "Kjør fra prosjektmappen (samme studiefil, frø og antall replikasjoner gir identiske tall, "
                 "uansett antall prosesser):",
        "files": "Scenariofiler (SHA-256):",
        "scenario": "Scenario", "year": "År", "target": "Mål", "status": "Status", "attain": "Måloppnåelse",
        "municipality": "Kommune", "period": "Periode", "diff": "Differanse",
    },
    "en": {
        "title": "The standard study: the strategy's interventions against the six KPI targets, 2024–2026",
        "generated": "Made {date} with ukp-sim {version}. Seed {seed}, {n} replications per scenario, common random "
                     "numbers. Every number is a mean over the replications with its 95 % confidence interval "
                     "(CI) in brackets.",
        "interrupted": "**Interrupted:** the run was stopped before every replication finished; this report uses "
                       "the {n} replications every scenario completed.",
        "q_h": "1. The question",
        "q": "Which of the measures in the action plan of the competence group for discharge-ready patients "
             "(UKP) of the St. Olavs hospital health community get the community to the six targets adopted by "
             "ASU on 6 September 2023, alone and together, by when, at what cost, and how sure are we? The study "
             "simulates 2023 (the calibrated baseline year, no intervention started) and carries on from that "
             "simulated state through 2024, 2025 and 2026 for each scenario.",
        "find_h": "2. Key findings",
        "model_h": "3. The model in brief",
        "model": (
            "A discrete-event simulation (SimPy) of patient flow between St. Olavs hospital and the 20 "
            "municipalities: admissions per municipality, month and weekday; treatment until the patient is "
            "declared discharge-ready; the municipality's case handling (hours, and days for a share of "
            "'complex' patients); reception within the municipality's opening hours and holiday calendar; "
            "korttid beds per municipality and unit, home-service decisions with daily start-up capacities, "
            "long-term places as a queue; and 30-day readmissions. Each UKP-day is counted by the national rule "
            "(discharge date minus the date declared ready). Interventions change the model through their "
            "mechanism (for example a team with a limited number of places), never by adjusting the result. "
            "Full description: `docs/model.md` and `docs/interventions.md`."),
        "scen_h": "4. Scenarios, interventions and evidence",
        "scen": "Each scenario switches one intervention on with its defaults (documented in "
                "`docs/interventions.md`) on top of the calibrated 2023 baseline. The combined strategy switches "
                "all six on. Extra capacity (more beds, more home services, weekend reception) is not part of "
                "the strategy and is left out.",
        "param": ("Parameter", "Value", "Description (from the schema)"),
        "res_h": "5. Results",
        "kpi_h": "5.1 The KPIs per year (whole community; KPI 6 for Øya helsehus)",
        "kpi_note": "Attainment = share of the way from the 2023 baseline value (ASU's reference) to the target; "
                    "milestones: 50 % after one year (2024), 100 % after two (2025). Status: green = target met; "
                    "yellow = at least 50 % of the way; red = otherwise.",
        "fig_h": "5.2 Figures",
        "sav_h": "5.3 What the interventions save against the baseline",
        "sav_note": "Paired differences (baseline − scenario) under common random numbers; positive numbers are "
                    "savings. Cost = UKP-days × that year's døgnpris. Beds freed = mean hospital beds held by UKP "
                    "per day.",
        "diff_h": "5.4 Change in the KPIs in 2025 against the baseline",
        "diff_note": "Paired difference (scenario − baseline) with 95 % CI; * = the CI excludes 0.",
        "muni_h": "5.5 UKP-days per 1,000 inhabitants by municipality, {year}",
        "check_h": "5.6 Check: simulated 2023 against observed",
        "check_note": "The baseline year should reproduce the 2023 figures calibration matched (see "
                      "`calibration/report.en.md`).",
        "ass_h": "6. Assumptions",
        "lim_h": "7. Limitations",
        "stress_h": "8. STRESS-DES checklist",
        "repro_h": "9. Reproduction",
        "repro": "Run from the project folder (the same study file, seed and replications give identical "
                 "numbers, for any number of processes):",
        "files": "Scenario files (SHA-256):",
        "scenario": "Scenario", "year": "Year", "target": "Target", "status": "Status", "attain": "Attainment",
        "municipality": "Municipality", "period": "Period", "diff": "Difference",
    },
}

EVIDENCE = {
    "discharge_team": {
        "nb": "Utskrivingsplanlegging for eldre med medisinsk innleggelse forkorter sykehusoppholdet (−0,73 døgn, "
              "95 % KI −1,33 til −0,12) og reduserer reinnleggelser (RR 0,87; 0,79–0,97) (Gonçalves-Bradley et "
              "al., Cochrane CD000313). Tidlig utskrivingsplanlegging: reinnleggelser RR 0,78 (0,69–0,90) (Fox et "
              "al. 2013). Teamets kapasitet, hvor mye raskere vedtaket blir og andelen som går hjem i stedet for "
              "til korttidsplass er anslag.",
        "en": "Discharge planning for older people admitted with a medical condition shortens the hospital stay "
              "(−0.73 days, 95 % CI −1.33 to −0.12) and lowers readmissions (RR 0.87; 0.79–0.97) "
              "(Gonçalves-Bradley et al., Cochrane CD000313). Early discharge planning: readmissions RR 0.78 "
              "(0.69–0.90) (Fox et al. 2013). The team's capacity, how much sooner the decision is ready and the "
              "share going home instead of to korttid are estimates.",
    },
    "bed_sharing": {
        "nb": "Å dele 10 % av korttidsplassene mellom områder kortet ventetiden med 25–42 % i en simulering av "
              "engelsk utskrivingsforløp (Onen-Dumlu et al. 2022); deling av 8 av 26 slagsenger kuttet "
              "forsinkede innleggelser fra 1 av 7 til 1 av 29 (Monks et al. 2016). Begge er modellresultater; "
              "her følger effekten av helsefellesskapets egne kapasiteter. Terminale pasienter og pasienter med "
              "delirium er unntatt.",
        "en": "Pooling 10 % of intermediate-care beds between localities cut waits by 25–42 % in a simulation of "
              "the English discharge pathway (Onen-Dumlu et al. 2022); pooling 8 of 26 stroke beds cut delayed "
              "admissions from 1 in 7 to 1 in 29 (Monks et al. 2016). Both are model results; here the effect "
              "follows from the community's own capacities. Terminal patients and patients with delirium are "
              "excluded.",
    },
    "early_assessment": {
        "nb": "Ingen publisert effektstørrelse for denne norske praksisen: mekanismen (kommunen planlegger "
              "parallelt med behandlingen, fra innleggelsesmeldingen) er modellert; dekningsgraden er et anslag.",
        "en": "No published effect size for this Norwegian practice: the mechanism (the municipality plans in "
              "parallel with treatment, from the admission notice) is modelled; the coverage is an estimate.",
    },
    "escalation_plan": {
        "nb": "Ingen publiserte effektstørrelser; bare mekanismen er modellert: midlertidige plasser åpner etter "
              "en forsinkelse når antall UKP i en kommune passerer en terskel, pluss planlagte sesongplasser og "
              "ingen stengte plasser i ferier. Terskler, antall plasser og varighet er anslag.",
        "en": "No published effect sizes; only the mechanism is modelled: temporary beds open after a lag when a "
              "municipality's UKP count passes a threshold, plus planned seasonal beds and no holiday closures. "
              "Thresholds, beds and duration are estimates.",
    },
    "efficient_korttid": {
        "nb": "KPI 6 i strategien: liggetiden på Øya helsehus ned 20 % (fra om lag 25 til 20 døgn). Modellen "
              "forkorter korttidsopphold som starter etter startdatoen med denne andelen.",
        "en": "KPI 6 of the strategy: the length of stay at Øya helsehus down 20 % (from about 25 to 20 days). "
              "The model shortens korttid stays starting after the start date by that share.",
    },
    "frailty_pathway": {
        "nb": "Tidlig utskrivingsplanlegging for eldre: reinnleggelser RR 0,78 (0,69–0,90) (Fox et al. 2013). "
              "Kartlegging og rapportering av CFS er et lettere tiltak, så standardverdiene (halv effekt på "
              "reinnleggelser, planlegging fra innleggelsesrapporten) er forsiktige anslag.",
        "en": "Early discharge planning for older patients: readmissions RR 0.78 (0.69–0.90) (Fox et al. 2013). "
              "CFS scoring and reporting is a lighter intervention, so the defaults (half the readmission effect, "
              "planning from the admission report) are conservative estimates.",
    },
}

ASSUMPTIONS = {
    "nb": [
        "Modellen gjelder somatikk; tallene er kalibrert mot 2022–2023 (se `calibration/report.md`, også for "
        "målene den ikke traff).",
        "Innleggelser, befolkning, kapasiteter og saksbehandling holdes som i 2023 gjennom 2026; ingen "
        "befolkningsvekst eller andre endringer enn tiltakene er lagt inn.",
        "Referanseverdiene for måloppnåelse er ASUs (observert 2023), ikke den simulerte 2023-verdien.",
        "Milepælene leses som kalenderår: 50 % i 2024 og 100 % i 2025 og 2026.",
        "Døgnprisen for 2025 og 2026 er et anslag (2025-prisen brukes for 2026).",
        "Tiltakenes standardverdier er fra litteraturen der den finnes, ellers anslag (markert «est.» i "
        "`docs/interventions.md`).",
    ],
    "en": [
        "The model covers somatics; it is calibrated to 2022–2023 (see `calibration/report.en.md`, also for the "
        "targets it did not meet).",
        "Admissions, population, capacities and case handling stay as in 2023 through 2026; no population "
        "growth and no change other than the interventions is modelled.",
        "Attainment is measured from ASU's reference values (observed 2023), not from the simulated 2023 value.",
        "The milestones are read as calendar years: 50 % in 2024 and 100 % in 2025 and 2026.",
        "The døgnpris for 2025 and 2026 is an estimate (the 2025 price is used for 2026).",
        "The interventions' defaults come from the literature where it exists, otherwise they are estimates "
        "(marked 'est.' in `docs/interventions.md`).",
    ],
}

LIMITATIONS = {
    "nb": [
        "Kalibreringen traff ikke alle tall: se avsnitt 5.6 og `calibration/report.md`. Effekter i kommunene "
        "med størst avvik (Trondheim, Melhus, Malvik) bør leses med det i mente.",
        "Effektstørrelsene fra oversikter gjelder hele programmer i andre helsesystemer; flere parametere er "
        "anslag. KI-ene viser bare tilfeldig variasjon i simuleringen, ikke usikkerheten i parametrene.",
        "Forverring mens pasienten venter, og død i sykehus, er ikke modellert.",
        "Ved deling av korttidsplasser er transport og pasientens ønsker ikke modellert.",
        "Tiltakene samvirker bare gjennom felles ressurser (plasser, oppstartskapasitet, teamet) og to "
        "uttrykte regler (tidligste planleggingsstart teller; minste risikoratio for reinnleggelse).",
    ],
    "en": [
        "Calibration did not meet every figure: see section 5.6 and `calibration/report.en.md`. Effects in the "
        "municipalities with the largest misfit (Trondheim, Melhus, Malvik) should be read with that in mind.",
        "Effect sizes from reviews are for whole programmes in other health systems; several parameters are "
        "estimates. The CIs show only the simulation's random variation, not parameter uncertainty.",
        "Deterioration while waiting, and death in hospital, are not modelled.",
        "Under bed sharing, transport and patient preference are not modelled.",
        "Interventions interact only through shared resources (beds, intake slots, the team) and two stated "
        "rules (the earliest planning start counts; the smallest readmission risk ratio).",
    ],
}


def stress_rows(meta: dict, lang: str) -> list[tuple[str, str]]:
    """The STRESS-DES items (Monks et al. 2019) for this study, with its own settings filled in."""
    p = meta["period"]
    nb = lang == "nb"
    first, last = meta["years"][0], meta["years"][-1]
    return [
        ("1.1 " + ("Formål" if nb else "Purpose"),
         "Se avsnitt 1." if nb else "See section 1."),
        ("1.2 " + ("Utdata" if nb else "Outputs"),
         ("De seks KPI-ene (definisjoner i `run.json` og `docs/model.md` §5), kostnad, senger holdt av UKP, "
          "korttidsbelegg; per år, måned, kommune og helsefellesskap." if nb else
          "The six KPIs (definitions in `run.json` and `docs/model.md` §5), cost, beds held by UKP, korttid "
          "occupancy; per year, month, municipality and community.")),
        ("1.3 " + ("Eksperimenter" if nb else "Experiments"),
         (f"{len(meta['scenarios'])} scenarier (referanse, seks tiltak alene, samlet strategi), {first}–{last}, "
          "felles tilfeldige tall, parvise differanser." if nb else
          f"{len(meta['scenarios'])} scenarios (baseline, six interventions alone, combined strategy), "
          f"{first}–{last}, common random numbers, paired differences.")),
        ("2.1–2.5 " + ("Logikk" if nb else "Logic"),
         ("`docs/model.md` §2–3 (flyt, diagram, enheter, ressurser, køer); tiltakene i `docs/interventions.md`."
          if nb else "`docs/model.md` §2–3 (flow, diagram, entities, resources, queues); interventions in "
          "`docs/interventions.md`.")),
        ("3.1–3.4 Data",
         ("Kilder i `calibration/SOURCES.md`; hver verdi i `scenarios/baseline.toml` er merket (src) eller "
          "(est.); kalibrering i `calibration/report.md`." if nb else
          "Sources in `calibration/SOURCES.md`; every value in `scenarios/baseline.toml` is marked (src) or "
          "(est.); calibration in `calibration/report.en.md`.")),
        ("4.1 " + ("Oppstart" if nb else "Initialisation"),
         (f"Tom start med {p.get('warmup_days', 180)} dagers innsvingning før {p['start']}, som forkastes."
          if nb else f"Empty start with a {p.get('warmup_days', 180)}-day warm-up before {p['start']}, "
          "discarded.")),
        ("4.2 " + ("Kjørelengde" if nb else "Run length"),
         (f"{p['years']} kalenderår fra {p['start']}, pluss {p.get('followup_days', 30)} dager etter for "
          "reinnleggelser." if nb else f"{p['years']} calendar years from {p['start']}, plus "
          f"{p.get('followup_days', 30)} days after for readmissions.")),
        ("4.3 " + ("Estimering" if nb else "Estimation"),
         (f"{meta['replications']} uavhengige replikasjoner, frø {meta['seed']}; gjennomsnitt og 95 % "
          "t-intervall; parvise differanser med felles tilfeldige tall." if nb else
          f"{meta['replications']} independent replications, seed {meta['seed']}; mean and 95 % t-interval; "
          "paired differences under common random numbers.")),
        ("5.1 " + ("Programvare" if nb else "Software"),
         f"Python {meta['python']}, SimPy, numpy, scipy, pandas, matplotlib; ukp-sim {meta['version']}."),
        ("5.2 " + ("Tilfeldige tall" if nb else "Random sampling"),
         ("Navngitte PCG64-strømmer fra (frø, replikasjon, navn); én uniform per opphold og størrelse "
          "(`docs/model.md` §4)." if nb else "Named PCG64 streams from (seed, replication, name); one "
          "uniform per stay and quantity (`docs/model.md` §4).")),
        ("5.3 " + ("Kjøring" if nb else "Execution"),
         (f"{meta['jobs']} prosess(er); resultatene er like for ethvert antall. Kjøretid {meta['wall_seconds']:.0f} s."
          if nb else f"{meta['jobs']} process(es); results are identical for any number. Run time "
          f"{meta['wall_seconds']:.0f} s.")),
        ("5.4 " + ("System" if nb else "System"), meta.get("platform", "")),
        ("6 " + ("Kode" if nb else "Code access"),
         ("Denne kodebasen (MIT); oppgi commit-hash ved sitering." if nb else
          "This code base (MIT); give the commit hash when citing.")),
    ]


# ---------------------------------------------------------------------------------------------
# Building the Markdown
# ---------------------------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _status(status: str, lang: str) -> str:
    if not status:
        return "–"
    return f'<span class="st st-{status}">{STATUS_LABELS[lang][status]}</span>'


def _row(kpis: pd.DataFrame, scenario: str, year: int, kpi: str, place: str) -> pd.Series | None:
    r = kpis[(kpis["scenario"] == scenario) & (kpis["year"] == year) & (kpis["kpi"] == kpi)
             & (kpis["municipality"] == place)]
    return None if r.empty else r.iloc[0]


def _place(kpi: str) -> str:
    return OYA if kpi == "korttid_los" else TOTAL


def _label(d: KpiDefinition, lang: str) -> str:
    return d.label_nb if lang == "nb" else d.label_en


def findings(kpis: pd.DataFrame, savings: pd.DataFrame, defs: dict, scenarios: list[str], years: list[int],
             lang: str) -> list[str]:
    """The key findings, written from the tables (nothing here is typed in by hand)."""
    targets, _ = load_targets()
    out = []
    y_goal = years[min(2, len(years) - 1)]  # 2025: the year the targets are due
    base = _row(kpis, "baseline", y_goal, "ukp_days", TOTAL)
    t = targets["ukp_days"]
    nb = lang == "nb"
    if base is not None:
        out.append((f"Uten tiltak ventes {ci_text(base['mean'], base['ci_low'], base['ci_high'], 'days', lang)} "
                    f"UKP-døgn i {y_goal} (mål {direction(t.direction)} {num(t.target, 0, lang)}).") if nb else
                   (f"Without interventions, {ci_text(base['mean'], base['ci_low'], base['ci_high'], 'days', lang)} "
                    f"UKP-days are expected in {y_goal} (target {direction(t.direction)} {num(t.target, 0, lang)})."))
    if "combined" in scenarios:
        c = _row(kpis, "combined", y_goal, "ukp_days", TOTAL)
        if c is not None:
            met = [defs[k] for k in STRATEGY_KPIS
                   if (r := _row(kpis, "combined", y_goal, k, _place(k))) is not None and r["status"] == "green"]
            met_text = ", ".join(_label(d, lang) for d in met) or ("ingen" if nb else "none")
            out.append((f"Med samlet strategi: {ci_text(c['mean'], c['ci_low'], c['ci_high'], 'days', lang)} "
                        f"UKP-døgn i {y_goal}, {pct(c['attainment'], lang)} av veien til målet "
                        f"(status {STATUS_LABELS[lang][c['status']]}). KPI-er som når målet i {y_goal}: "
                        f"{met_text}.") if nb else
                       (f"With the combined strategy: {ci_text(c['mean'], c['ci_low'], c['ci_high'], 'days', lang)} "
                        f"UKP-days in {y_goal}, {pct(c['attainment'], lang)} of the way to the target (status "
                        f"{STATUS_LABELS[lang][c['status']]}). KPIs meeting their target in {y_goal}: {met_text}."))
    misfits = baseline_misfits(kpis, years[0])
    if misfits:
        parts = [f"{_label(defs[k], lang)} ({value_text(sim, defs[k].unit, lang)} mot {value_text(obs, defs[k].unit, lang)})"
                 if nb else f"{_label(defs[k], lang)} ({value_text(sim, defs[k].unit, lang)} against "
                 f"{value_text(obs, defs[k].unit, lang)})" for k, sim, obs in misfits]
        out.append((f"Forbehold: det simulerte basisåret {years[0]} treffer ikke ASUs referanse for "
                    f"{'; '.join(parts)}. For disse er endringen mot referansen mer pålitelig enn nivået og "
                    "statusfargen (avsnitt 5.6).") if nb else
                   (f"Caveat: the simulated baseline year {years[0]} misses ASU's reference for {'; '.join(parts)}. "
                    "For these, the change against the baseline is more reliable than the level and the status "
                    "colour (section 5.6)."))
    span = [p for p in savings["period"].unique() if "–" in str(p)]
    if span:
        s = savings[(savings["period"] == span[0]) & (savings["quantity"] == "ukp_days_saved")]
        single = s[s["scenario"] != "combined"].sort_values("mean", ascending=False)
        if not single.empty:
            b = single.iloc[0]
            out.append((f"Største enkelttiltak over {span[0]}: {scenario_label(b['scenario'], lang)}, "
                        f"{ci_text(b['mean'], b['ci_low'], b['ci_high'], 'days', lang)} UKP-døgn spart.") if nb else
                       (f"Largest single intervention over {span[0]}: {scenario_label(b['scenario'], lang)}, "
                        f"{ci_text(b['mean'], b['ci_low'], b['ci_high'], 'days', lang)} UKP-days saved."))
            none = [scenario_label(r["scenario"], lang) for _, r in single.iterrows() if r["ci_low"] <= 0]
            if none:
                out.append((f"Uten påvisbar effekt på UKP-døgn over {span[0]} (KI inkluderer 0): "
                            f"{', '.join(none)}.") if nb else
                           (f"No detectable effect on UKP-days over {span[0]} (CI includes 0): {', '.join(none)}."))
        if "combined" in scenarios:
            c = savings[(savings["period"] == span[0]) & (savings["scenario"] == "combined")].set_index("quantity")
            if {"ukp_days_saved", "cost_saved_nok"} <= set(c.index):
                d, k = c.loc["ukp_days_saved"], c.loc["cost_saved_nok"]
                out.append((f"Samlet strategi sparer {ci_text(d['mean'], d['ci_low'], d['ci_high'], 'days', lang)} "
                            f"UKP-døgn og {ci_text(k['mean'], k['ci_low'], k['ci_high'], 'NOK', lang)} over "
                            f"{span[0]}.") if nb else
                           (f"The combined strategy saves {ci_text(d['mean'], d['ci_low'], d['ci_high'], 'days', lang)} "
                            f"UKP-days and {ci_text(k['mean'], k['ci_low'], k['ci_high'], 'NOK', lang)} over "
                            f"{span[0]}."))
    return out


def kpi_section(kpis: pd.DataFrame, defs: dict, scenarios: list[str], years: list[int], lang: str) -> str:
    targets, _ = load_targets()
    w = T[lang]
    parts = []
    for kpi in STRATEGY_KPIS:
        d, t = defs[kpi], targets[kpi]
        place = _place(kpi)
        title = f"**KPI {t.number}. {_label(d, lang)}**" + (" (Øya helsehus)" if place == OYA else "")
        title += f" — {w['target']} {direction(t.direction)} {value_text(t.target, d.unit, lang)}"
        header = [w["scenario"], *[str(y) for y in years], f"{w['attain']} {years[-2] if len(years) > 2 else years[-1]}",
                  w["status"]]
        y_goal = years[-2] if len(years) > 2 else years[-1]
        rows = []
        for sid in scenarios:
            cells = [scenario_label(sid, lang)]
            for y in years:
                r = _row(kpis, sid, y, kpi, place)
                cells.append("–" if r is None else ci_text(r["mean"], r["ci_low"], r["ci_high"], d.unit, lang))
            r = _row(kpis, sid, y_goal, kpi, place)
            cells += ["–", "–"] if r is None else [pct(r["attainment"], lang), _status(r["status"], lang)]
            rows.append(cells)
        parts.append(title + "\n\n" + _table(header, rows, "l" + "r" * (len(header) - 2) + "c"))
    return "\n\n".join(parts)


def savings_section(savings: pd.DataFrame, scenarios: list[str], lang: str) -> str:
    w = T[lang]
    periods = list(dict.fromkeys(savings["period"]))
    units = {"ukp_days_saved": "days", "cost_saved_nok": "NOK", "beds_freed": "beds"}
    parts = []
    for quantity, unit in units.items():
        header = [w["scenario"], *periods]
        rows = []
        for sid in scenarios:
            if sid == "baseline":
                continue
            cells = [scenario_label(sid, lang)]
            for p in periods:
                r = savings[(savings["scenario"] == sid) & (savings["period"] == p) & (savings["quantity"] == quantity)]
                cells.append("–" if r.empty else ci_text(r.iloc[0]["mean"], r.iloc[0]["ci_low"], r.iloc[0]["ci_high"],
                                                         unit, lang))
            rows.append(cells)
        parts.append(f"**{SAVING_LABELS[lang][quantity]}**\n\n" + _table(header, rows))
    return "\n\n".join(parts)


def differences_section(diffs: pd.DataFrame, defs: dict, scenarios: list[str], year: int, lang: str) -> str:
    w = T[lang]
    header = [w["scenario"], *[_label(defs[k], lang) for k in STRATEGY_KPIS]]
    rows = []
    for sid in scenarios:
        if sid == "baseline":
            continue
        cells = [scenario_label(sid, lang)]
        for kpi in STRATEGY_KPIS:
            r = diffs[(diffs["scenario"] == sid) & (diffs["year"] == year) & (diffs["kpi"] == kpi)
                      & (diffs["municipality"] == _place(kpi))]
            if r.empty:
                cells.append("–")
                continue
            r = r.iloc[0]
            unit = defs[kpi].unit
            scale, dec = (100, 1) if unit == "share" else (1, 0 if kpi == "ukp_days" else 2)
            sep = "–" if r["ci_low"] >= 0 else (" til " if lang == "nb" else " to ")
            text = (f"{num(scale * r['mean_difference'], dec, lang)} ({num(scale * r['ci_low'], dec, lang)}{sep}"
                    f"{num(scale * r['ci_high'], dec, lang)})")
            if unit == "share":
                text += " %-p" if lang == "nb" else " pp"
            if not math.isnan(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0):
                text += " *"
            cells.append(text)
        rows.append(cells)
    return _table(header, rows)


def municipality_section(kpis: pd.DataFrame, municipalities: list[str], year: int, lang: str) -> str:
    w = T[lang]
    cols = [s for s in ("baseline", "combined") if s in set(kpis["scenario"])]
    header = [w["municipality"], *[scenario_label(s, lang) for s in cols]]
    rows = []
    for m in municipalities:
        cells = [m]
        for sid in cols:
            r = _row(kpis, sid, year, "ukp_days_per_1000", m)
            cells.append("–" if r is None else ci_text(r["mean"], r["ci_low"], r["ci_high"], "days_per_1000", lang))
        rows.append(cells)
    return _table(header, rows)


# The acceptance bands of the calibration issue: how far the simulated baseline year may be from the
# observed reference before a KPI's level (and so its status colour) should not be read at face value.
CHECK_BANDS = {"ukp_days": ("rel", 0.05), "zero_day_share": ("abs", 0.03), "mean_ukp_stay": ("abs", 0.5),
               "straight_home_share": ("abs", 0.03), "readmission_30d_share": ("abs", 0.02),
               "korttid_los": ("rel", 0.10)}


def baseline_misfits(kpis: pd.DataFrame, year: int) -> list[tuple[str, float, float]]:
    """(kpi, simulated, observed) for each strategy KPI whose simulated baseline year is outside
    its band around ASU's reference value."""
    targets, _ = load_targets()
    out = []
    for kpi in STRATEGY_KPIS:
        r = _row(kpis, "baseline", year, kpi, _place(kpi))
        if r is None or math.isnan(r["mean"]):
            continue
        kind, band = CHECK_BANDS[kpi]
        ref = targets[kpi].baseline
        off = abs(r["mean"] - ref) / abs(ref) if kind == "rel" else abs(r["mean"] - ref)
        if off > band:
            out.append((kpi, float(r["mean"]), ref))
    return out


def check_section(kpis: pd.DataFrame, defs: dict, year: int, lang: str) -> str:
    targets, _ = load_targets()
    w = T[lang]
    nb = lang == "nb"
    header = ["KPI", "Simulert" if nb else "Simulated", "Referanse (ASU)" if nb else "Reference (ASU)",
              "Toleranse" if nb else "Tolerance", "Innenfor?" if nb else "Within?"]
    misfit = {k for k, _, _ in baseline_misfits(kpis, year)}
    rows = []
    for kpi in STRATEGY_KPIS:
        r = _row(kpis, "baseline", year, kpi, _place(kpi))
        t, d = targets[kpi], defs[kpi]
        kind, band = CHECK_BANDS[kpi]
        tol = f"± {num(100 * band, 0, lang)} %" if kind == "rel" else (
            f"± {num(100 * band, 0, lang)} {'%-poeng' if nb else 'points'}" if d.unit == "share"
            else f"± {num(band, 1, lang)}")
        ok = ("nei" if nb else "no") if kpi in misfit else ("ja" if nb else "yes")
        rows.append([_label(d, lang), "–" if r is None else ci_text(r["mean"], r["ci_low"], r["ci_high"], d.unit, lang),
                     value_text(t.baseline, d.unit, lang), tol, ok])
    text = w["check_note"] + "\n\n" + _table(header, rows, "lrrrc")
    if misfit:
        text += "\n\n" + (
            "Der basisåret ligger utenfor toleransen, er nivået (og dermed statusfargen) for den KPI-en ikke "
            "pålitelig; les tiltakets effekt som endringen mot referansen (avsnitt 5.4), ikke som nivå."
            if nb else "Where the baseline year is outside its tolerance, that KPI's level (and so its status colour) "
            "is not reliable; read an intervention's effect as the change against the baseline (section 5.4), "
            "not as a level.")
    return text


def parameter_table(section, lang: str) -> str:
    """The intervention's parameters as the scenario sets them, with the schema's description."""
    rows = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if isinstance(value, dict):
            text = ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
        elif isinstance(value, tuple):
            text = ", ".join(map(str, value)) or ("alle" if lang == "nb" else "all")
        else:
            text = str(value)
        rows.append([f"`{f.name}`", html.escape(text), f.metadata.get("doc", "")])
    return _table(list(T[lang]["param"]), rows, "lll")


def build_markdown(tables, meta: dict, defs: dict, scenarios_obj: dict, figures: list[tuple[str, str]],
                   lang: str) -> str:
    """The whole report as Markdown. ``figures``: (relative path, caption) in order."""
    w = T[lang]
    kpis, savings, diffs = tables.kpis, tables.savings, tables.differences
    scenarios = meta["scenarios"]
    years = meta["years"]
    y_goal = years[min(2, len(years) - 1)]
    out = [f"# {w['title']}", "",
           w["generated"].format(date=meta["date"][:10], version=meta["version"], seed=meta["seed"],
                                 n=meta["replications"])]
    if meta.get("interrupted"):
        out += ["", w["interrupted"].format(n=meta["replications"])]
    out += ["", f"## {w['q_h']}", "", w["q"], "", f"## {w['find_h']}", ""]
    out += [f"- {line}" for line in findings(kpis, savings, defs, scenarios, years, lang)]
    out += ["", f"## {w['model_h']}", "", w["model"], "", f"## {w['scen_h']}", "", w["scen"], ""]
    for sid in scenarios:
        if sid in ("baseline", "combined"):
            continue
        out.append(f"### {scenario_label(sid, lang)} (`{sid}`)")
        out.append("")
        if sid in EVIDENCE:
            out += [EVIDENCE[sid][lang], ""]
            section = getattr(scenarios_obj[sid].interventions, sid)
            out += [parameter_table(section, lang), ""]
    out += [f"## {w['res_h']}", "", f"### {w['kpi_h']}", "", w["kpi_note"], "",
            kpi_section(kpis, defs, scenarios, years, lang), "", f"### {w['fig_h']}", ""]
    for path, cap in figures:
        out += [f"![{cap}]({path})", "", f"*{cap}*", ""]
    out += [f"### {w['sav_h']}", "", w["sav_note"], "", savings_section(savings, scenarios, lang), "",
            f"### {w['diff_h']}", "", w["diff_note"], "", differences_section(diffs, defs, scenarios, y_goal, lang), "",
            f"### {w['muni_h'].format(year=y_goal)}", "",
            municipality_section(kpis, meta["municipalities"], y_goal, lang), "",
            f"### {w['check_h']}", "", check_section(kpis, defs, years[0], lang), "",
            f"## {w['ass_h']}", ""]
    out += [f"- {a}" for a in ASSUMPTIONS[lang]]
    out += ["", f"## {w['lim_h']}", ""]
    out += [f"- {a}" for a in LIMITATIONS[lang]]
    out += ["", f"## {w['stress_h']}", "",
            "Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). Strengthening the reporting of "
            "empirical simulation studies: Introducing the STRESS guidelines. *Journal of Simulation* 13(1):55–67.",
            "", _table(["STRESS-DES", ""], [[a, b] for a, b in stress_rows(meta, lang)], "ll"), "",
            f"## {w['repro_h']}", "", w["repro"], "", "```", meta["command"], "```", "", w["files"], ""]
    out += [f"- `{f['path']}` `{f['sha256'][:16]}…`" for f in meta["scenario_files"]]
    out += ["", f"ukp-sim {meta['version']}, Python {meta['python']}, {meta['date']}.", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top}th{background:#f2f2f2}
td{font-variant-numeric:tabular-nums}img{max-width:100%;height:auto}code{font-size:.88em}
.st{padding:0 .4rem;border-radius:.2rem;font-weight:600}.st-green{background:#b7e1b5}
.st-yellow{background:#fde58a}.st-red{background:#f4a9a0}h1{font-size:1.6rem}
"""


def to_html(markdown_text: str, images: dict[str, bytes], lang: str, title: str) -> str:
    """One self-contained page: the Markdown rendered, each figure embedded as a data URI."""
    import markdown as md

    body = md.markdown(markdown_text, extensions=["tables", "fenced_code"], output_format="html")

    def embed(match: re.Match) -> str:
        src = html.unescape(match.group(1))
        data = images.get(src)
        if data is None:
            return match.group(0)
        mime = "image/svg+xml" if src.endswith(".svg") else "image/png"
        return f'src="data:{mime};base64,{base64.b64encode(data).decode()}"'

    body = re.sub(r'src="([^"]+)"', embed, body)
    return (f'<!DOCTYPE html>\n<html lang="{"nb" if lang == "nb" else "en"}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
