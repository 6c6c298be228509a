"""Where a UKP patient goes from hospital: the codes of ``stays.destination``, shared by the model,
the interventions that change a destination, and the KPIs (order of ``scenario.DESTINATIONS``)."""
from __future__ import annotations

KORTTID, HOME_NEW, HOME_NONE = 0, 1, 2
NO_DESTINATION = -1
