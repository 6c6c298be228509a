"""The six KPIs (and context measures) from one run's records, per year, month and municipality.

This module knows nothing of SimPy: it reads the finished ``Records``. Each KPI's definition is
stated in ``DEFINITIONS`` and written into every run's ``run.json``. Rows for the whole
community carry the municipality name "Total"; korttid units appear as "Municipality/Unit".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ukp_sim.base.vocabulary import TOTAL, WHOLE_YEAR
from ukp_sim.config.scenario import Community, Scenario
from ukp_sim.kpi.census import added_beds, hospital_census, korttid_census, korttid_places
from ukp_sim.sim.calendar import SimCalendar, period_bounds
from ukp_sim.sim.records import FROM_INITIAL, HOME_NEW, KORTTID, Records


@dataclass(frozen=True)
class KpiDefinition:
    id: str
    label_nb: str
    label_en: str
    unit: str
    definition: str


def _definitions(s: Scenario | None = None) -> dict[str, KpiDefinition]:
    by = s.kpi.ukp_days_by if s else "day"
    basis = s.kpi.cost_basis if s else "ukp_days"
    window = s.readmission.window_days if s else 30
    unit = (s.community if s else Community()).kpi6_unit.split("/", 1)[-1]  # the community's KPI-6 unit
    day_rule = (
        "each UKP-day is counted in the month and year it falls on (the days of a stay are its "
        "declaration date up to the day before its discharge date; stays still waiting at the end "
        "count the days they have waited)"
        if by == "day" else "all UKP-days of a stay are counted in the month and year of its discharge "
        "(stays still waiting at the end of the run count nowhere)"
    )
    defs = [
        KpiDefinition("ukp_days", "UKP-døgn", "UKP-days", "days",
                      "KPI 1. Sum over UKP stays of (discharge date - date of the UKP declaration), the "
                      f"national counting rule (a same-day discharge is 0 days); {day_rule}."),
        KpiDefinition("ukp_days_per_1000", "UKP-døgn per 1000 innbyggere", "UKP-days per 1,000 inhabitants",
                      "days", "KPI 1 per 1,000 inhabitants (whole years only), so it can be read per municipality."),
        KpiDefinition("zero_day_share", "Andel UKP-opphold med 0 døgn", "Share of UKP stays with 0 days", "share",
                      "KPI 2. Among UKP stays discharged in the period, the share whose discharge date equals "
                      "the declaration date."),
        KpiDefinition("mean_ukp_stay", "Gjennomsnittlig liggetid som UKP", "Mean UKP stay", "days",
                      "KPI 3. Mean UKP-days over UKP stays discharged in the period with at least one UKP-day "
                      "(Samdata's 'gjennomsnittlig oppholdstid som utskrivningsklar')."),
        KpiDefinition("mean_ukp_stay_all", "Gjennomsnittlig liggetid som UKP, alle opphold",
                      "Mean UKP stay, all stays", "days",
                      "Mean UKP-days over all UKP stays discharged in the period, 0-day stays included."),
        KpiDefinition("straight_home_share", "Andel UKP som reiser rett hjem", "Share of UKP going straight home",
                      "share", "KPI 4. Among UKP stays discharged in the period, the share discharged home "
                      "(with or without new home services) rather than to a korttidsplass."),
        KpiDefinition("readmission_30d_share", f"Andel reinnleggelser innen {window} dager",
                      f"Share readmitted within {window} days", "share",
                      f"KPI 5. Among UKP stays discharged in the period, the share whose patient is admitted to "
                      f"hospital again within {window} days of the discharge (from home, korttid or long-term care)."),
        KpiDefinition("korttid_los", "Liggetid korttidsopphold", "Length of stay in short-term care", "days",
                      "KPI 6. Mean (end date - start date) of korttid stays that end in the period, whatever "
                      "the reason (home, long-term place, death, readmission), from hospital or from home; "
                      "stays already running when the simulation started are left out. The target is for "
                      f"the {unit} unit."),
        KpiDefinition("cost_nok", "Kostnad UKP-døgn (NOK)", "Cost of UKP-days (NOK)", "NOK",
                      "UKP-days x that year's døgnpris" + (
                          "" if basis == "ukp_days" else
                          ", plus the declaration day of every stay with at least one UKP-day (billing rule)") + "."),
        KpiDefinition("beds_held_by_ukp_mean", "Senger holdt av UKP, snitt", "Beds held by UKP, mean", "beds",
                      "Mean over the period's days of the number of UKP in hospital at midnight (when UKP-days "
                      "are counted by day, its yearly sum equals the UKP-days)."),
        KpiDefinition("beds_held_by_ukp_p95", "Senger holdt av UKP, 95-persentil", "Beds held by UKP, 95th percentile",
                      "beds", "95th percentile over the period's days of the number of UKP in hospital at midnight."),
        KpiDefinition("hospital_occupancy", "Belegg somatikk", "Somatic bed occupancy", "share",
                      "Mean midnight census of all somatic in-patients divided by the somatic beds "
                      "(whole community only)."),
        KpiDefinition("ukp_stays", "Antall UKP-opphold", "Number of UKP stays", "stays",
                      "UKP stays discharged in the period."),
        *_wait_definitions(),
        KpiDefinition("korttid_beds_occupied", "Belagte korttidsplasser, snitt", "Korttid beds occupied, mean",
                      "beds", "Mean over the period's days of the korttid beds occupied at midnight in the "
                      "municipality's units (its own patients and, under bed sharing, other municipalities' "
                      "patients lodged there), temporary and extra beds included; from hospital, from home "
                      "and stays present at the start. A korttid stay occupies its bed from the day it starts "
                      "to the day before it ends."),
        KpiDefinition("korttid_occupancy", "Belegg korttidsplasser", "Korttid bed occupancy", "share",
                      "korttid_beds_occupied divided by the mean number of the municipality's documented korttid "
                      "places in the period (each scenario unit's beds on the days it is open; no holiday cut, "
                      "no beds an intervention adds), as KOSTRA's 'belegg' (occupied bed-days / available "
                      "bed-days). Under a holiday cut or an intervention's extra beds it can exceed the share "
                      "of open beds occupied."),
        KpiDefinition("readmission_30d_share_delayed", f"Andel reinnleggelser innen {window} dager, UKP-døgn > 0",
                      f"Share readmitted within {window} days, stays with UKP-days", "share",
                      "As KPI 5, among UKP stays with at least one UKP-day only (Helsedirektoratet's "
                      "national indicator after stays with UKP-days)."),
        KpiDefinition("ukp_winter_ratio", "Vintertopp UKP (jan-feb / år)", "Winter peak of UKP (Jan-Feb / year)",
                      "ratio", "Whole years only: the mean number of UKP in hospital at midnight in January and "
                      "February divided by the year's mean (1 = no winter peak)."),
        KpiDefinition("korttid_added_bed_days", "Ekstra korttidsplassdøgn", "Added korttid bed-days", "bed-days",
                      "Whole years only: the sum over the year's days of the korttid beds interventions keep "
                      "open at the end of the day beyond the scenario's own schedule: in units they add "
                      "(temporary escalation beds, seasonal beds) and added to the scenario's units (extra beds, "
                      "holidays without closures), used or not: such beds cost for the days they are open. 0 "
                      "without an intervention."),
        *_flag_definitions(),
    ]
    return {d.id: d for d in defs}


def _flag_definitions() -> list[KpiDefinition]:
    """One count per flag an intervention sets on a stay (its activity, which its cost follows)."""
    from ukp_sim.interventions import registry

    return [KpiDefinition(f"stays_{flag}", f"UKP-opphold: {p.labels['nb']} ({flag})",
                          f"UKP stays: {p.labels['en']} ({flag})", "stays",
                          f"Whole years only: UKP stays discharged in the year that {p.labels['en']} marked "
                          f"'{flag}' (bit {bit} of intervention_flags); 0 when it is off.")
            for p in registry.plugins() for flag, bit in p.flags.items()]


def flag_bits() -> dict[str, int]:
    """KPI id -> the intervention_flags bit it counts (every registered plug-in's flags)."""
    from ukp_sim.interventions import registry

    return {f"stays_{flag}": bit for p in registry.plugins() for flag, bit in p.flags.items()}


WAIT_KPIS = ("wait_share_decision", "wait_share_bed", "wait_share_home_intake", "wait_share_reception")


def _wait_definitions() -> list[KpiDefinition]:
    """What UKP-days are spent waiting for. Each stay's UKP-days (as in KPI 3) are split in
    proportion to the time it spent in each state: planning (declaration until the municipality
    has decided and planned), then reception (until the municipality first receives patients:
    evenings, weekends, holidays), then capacity (the rest: a korttid bed, or a home-service start).
    The four shares of a group of stays add up to 1."""
    common = ("Among UKP stays discharged in the period with at least one UKP-day, the share of their UKP-days "
              "spent waiting for {what}. Each stay's UKP-days are split in proportion to its time from the "
              "declaration to the decision and plan (decision), from then to the municipality's first reception "
              "opening (reception), and from then to the discharge (a korttid bed for korttid-bound patients, "
              "a home-service start for those going home with new services); the four shares add up to 1.")
    rows = (
        ("wait_share_decision", "vedtak og plan", "the decision and plan", "the municipality's decision and planning"),
        ("wait_share_bed", "korttidsplass", "a korttid bed", "a free korttid bed"),
        ("wait_share_home_intake", "oppstart hjemmetjenester", "a home-service start", "a home-service start"),
        ("wait_share_reception", "mottak (kveld, helg, helligdag)", "reception (evening, weekend, holiday)",
         "the municipality to receive patients (evening, weekend, public holiday)"),
    )
    return [KpiDefinition(kid, f"Andel UKP-døgn: venter på {nb}", f"Share of UKP-days waiting for {en}", "share",
                          common.format(what=what)) for kid, nb, en, what in rows]


def wait_days(t_declared, t_ready, t_reception, t_out, destination, days) -> dict[str, np.ndarray]:
    """Each stay's ``days`` (its UKP-days) split over what it waited for, in proportion to the time
    in each state (see ``_wait_definitions``); returns days per stay for each of ``WAIT_KPIS``."""
    total = t_out - t_declared
    opened = np.maximum(np.minimum(t_reception, t_out), t_ready)
    per_time = days / np.where(total > 0, total, 1.0)  # a stay of no time has 0 days to split
    capacity = (t_out - opened) * per_time
    return {
        "wait_share_decision": (t_ready - t_declared) * per_time,
        "wait_share_bed": np.where(destination == KORTTID, capacity, 0.0),
        "wait_share_home_intake": np.where(destination == HOME_NEW, capacity, 0.0),
        "wait_share_reception": (opened - t_ready) * per_time,
    }


DEFINITIONS = _definitions()


def definitions_for(s: Scenario) -> dict[str, KpiDefinition]:
    """The definitions with the scenario's counting rules filled in."""
    return _definitions(s)


class _Period:
    """Day indices of the reported period and the year/month of each."""

    def __init__(self, s: Scenario, cal: SimCalendar):
        _, start_date, end_date = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
        start = (start_date - cal.origin).days
        end = (end_date - cal.origin).days
        self.first, self.last = start, end  # [first, last)
        self.year = cal.year
        self.month = cal.month


def compute_kpis(rec: Records, s: Scenario, cal: SimCalendar) -> pd.DataFrame:
    """Long table: year, month (0 = whole year), municipality, kpi, value."""
    per = _Period(s, cal)
    names = list(s.municipalities)
    pops = np.array([m.population for m in s.municipalities.values()], dtype=float)
    n_days = cal.n_days
    rows: list[tuple] = []
    days_idx = np.arange(per.first, per.last)
    year_d, month_d = per.year[days_idx], per.month[days_idx]
    groups = [(int(y), WHOLE_YEAR, year_d == y) for y in np.unique(year_d)]
    groups += [(int(y), int(mo), (year_d == y) & (month_d == mo)) for y in np.unique(year_d) for mo in range(1, 13)
               if ((year_d == y) & (month_d == mo)).any()]

    st = rec.stays
    ukp = ~np.isnan(st["t_declared"])
    muni = st["municipality"][ukp]
    d0 = np.floor(st["t_declared"][ukp]).astype(np.int64)
    t_out = st["t_discharged"][ukp]
    discharged = ~np.isnan(t_out)
    d1 = np.where(discharged, np.floor(np.nan_to_num(t_out, nan=0.0)), n_days).astype(np.int64)

    # Midnight census of UKP per municipality and day (a UKP-day belongs to the day it starts).
    census = np.zeros((len(names), n_days + 1))
    np.add.at(census, (muni, d0), 1.0)
    np.add.at(census, (muni, np.minimum(d1, n_days)), -1.0)
    census = np.cumsum(census, axis=1)[:, :n_days]
    billing_extra = np.zeros((len(names), n_days))
    delayed = d1 > d0
    billed_on = d1 if s.kpi.ukp_days_by == "discharge" else d0  # the period the stay's days count in
    ok = delayed & (billed_on < n_days)
    np.add.at(billing_extra, (muni[ok], billed_on[ok]), 1.0)

    # UKP stays discharged in the period
    stay_days = d1 - d0
    in_period = discharged & (d1 >= per.first) & (d1 < per.last)
    readmitted = _readmitted_within(rec, s.readmission.window_days)[ukp]
    dest = st["destination"][ukp][in_period]
    sd = {
        "muni": muni[in_period], "day": d1[in_period] - per.first, "days": stay_days[in_period],
        "home": dest != KORTTID, "readmitted": readmitted[in_period],
        "flags": st["intervention_flags"][ukp][in_period],
    }
    bits = flag_bits()
    waits = wait_days(st["t_declared"][ukp][in_period], st["t_ready"][ukp][in_period],
                      st["t_reception"][ukp][in_period], t_out[in_period], dest, sd["days"].astype(float))
    if s.kpi.ukp_days_by == "discharge":
        by_discharge = np.zeros((len(names), n_days))
        np.add.at(by_discharge, (sd["muni"], sd["day"] + per.first), sd["days"].astype(float))
        day_counts = by_discharge
    else:
        day_counts = census
    billed = day_counts + (billing_extra if s.kpi.cost_basis == "billing_days" else 0.0)

    # korttid stays ended in the period
    k = rec.korttid
    k_end = k["t_end"]
    k_ok = ~np.isnan(k_end) & (k["source"] != FROM_INITIAL)
    k_e = np.floor(np.nan_to_num(k_end, nan=-1.0)).astype(np.int64)
    k_los = k_e - np.floor(k["t_start"]).astype(np.int64)
    k_sel = k_ok & (k_e >= per.first) & (k_e < per.last)
    unit_names = _unit_names(s)

    # hospital occupancy (whole community): midnight census of every in-patient
    occ = hospital_census(rec, n_days)
    k_census = korttid_census(rec, len(names), n_days)
    places = korttid_places(s, cal, n_days)
    added = added_beds(rec, len(names), n_days)
    winter = (month_d <= 2)

    for year, month, mask in groups:
        sel_days = days_idx[mask]
        price = s.dognpris(year)
        rel = sel_days - per.first
        smask = np.isin(sd["day"], rel)
        kmask = k_sel & np.isin(k_e, sel_days)
        for mi, name in enumerate([*names, TOTAL]):
            if name == TOTAL:
                cen = census[:, sel_days].sum(axis=0)
                added_days = added[:, sel_days].sum()
                k_cen = k_census[:, sel_days].sum(axis=0)
                k_places = places[:, sel_days].sum(axis=0)
                ukp_days = day_counts[:, sel_days].sum()
                billed_days = billed[:, sel_days].sum()
                m_stays = smask
                m_k = kmask
                pop = pops.sum()
            else:
                cen = census[mi, sel_days]
                added_days = added[mi, sel_days].sum()
                k_cen = k_census[mi, sel_days]
                k_places = places[mi, sel_days]
                ukp_days = day_counts[mi, sel_days].sum()
                billed_days = billed[mi, sel_days].sum()
                m_stays = smask & (sd["muni"] == mi)
                m_k = kmask & (k["municipality"] == mi)
                pop = pops[mi]
            days = sd["days"][m_stays]
            n = days.size
            vals = {
                "ukp_days": ukp_days,
                "zero_day_share": (days == 0).mean() if n else np.nan,
                "mean_ukp_stay": days[days > 0].mean() if (days > 0).any() else np.nan,
                "mean_ukp_stay_all": days.mean() if n else np.nan,
                "straight_home_share": sd["home"][m_stays].mean() if n else np.nan,
                "readmission_30d_share": sd["readmitted"][m_stays].mean() if n else np.nan,
                "korttid_los": k_los[m_k].mean() if m_k.any() else np.nan,
                "cost_nok": billed_days * price,
                "beds_held_by_ukp_mean": cen.mean(),
                "beds_held_by_ukp_p95": np.percentile(cen, 95),
                "ukp_stays": float(n),
                "korttid_beds_occupied": k_cen.mean(),
                "korttid_occupancy": k_cen.mean() / k_places.mean() if k_places.mean() > 0 else np.nan,
                "readmission_30d_share_delayed": (sd["readmitted"][m_stays][days > 0].mean() if (days > 0).any()
                                                  else np.nan),
            }
            total_days = float(days.sum())
            for kid in WAIT_KPIS:
                vals[kid] = waits[kid][m_stays].sum() / total_days if total_days > 0 else np.nan
            if month == WHOLE_YEAR:
                vals["ukp_days_per_1000"] = ukp_days / pop * 1000.0 if pop > 0 else np.nan
                w = winter[mask]
                vals["ukp_winter_ratio"] = (cen[w].mean() / cen.mean() if w.any() and cen.mean() > 0 else np.nan)
                vals["korttid_added_bed_days"] = float(added_days)
                flags = sd["flags"][m_stays]
                for kid, bit in bits.items():
                    vals[kid] = float(np.count_nonzero(flags & bit))
            if name == TOTAL:
                vals["hospital_occupancy"] = occ[sel_days].mean() / s.hospital.somatic_beds
            rows.extend((year, month, name, kid, float(v)) for kid, v in vals.items())
        for uid, label in enumerate(unit_names):
            m_u = kmask & (k["unit"] == uid)
            rows.append((year, month, label, "korttid_los", float(k_los[m_u].mean()) if m_u.any() else np.nan))
    return pd.DataFrame(rows, columns=["year", "month", "municipality", "kpi", "value"])


def _unit_names(s: Scenario) -> list[str]:
    return [f"{m.name}/{u}" for m in s.municipalities.values() for u in m.korttid.units]


def _readmitted_within(rec: Records, window: float) -> np.ndarray:
    """For every stay: is the same patient admitted again within ``window`` days of its discharge?"""
    st = rec.stays
    n = rec.n_stays
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((st["t_admitted"], st["patient"]))
    pid = st["patient"][order]
    nxt = np.full(n, np.inf)
    same = pid[1:] == pid[:-1]
    nxt_sorted = np.full(n, np.inf)
    nxt_sorted[:-1][same] = st["t_admitted"][order][1:][same]
    nxt[order] = nxt_sorted
    gap = nxt - st["t_discharged"]
    return gap <= window  # NaN discharge -> False
