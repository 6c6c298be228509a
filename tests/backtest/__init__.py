"""Back-test: a small scenario's KPIs pinned in ``expected_kpis.csv`` (see test_backtest.py)."""
