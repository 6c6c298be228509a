"""The action plan's interventions as plug-ins: one module each (schema, evidence, hooks, labels),
the hook interface in ``base.py`` and the ordered list in ``registry.py``. This layer sits between
``ukp_sim.config`` and ``ukp_sim.base``: it imports only ``ukp_sim.base`` (and third-party code)."""
