"""Where the replications run: in this process, in a pool of local worker processes, or on a Dask
cluster (a ``LocalCluster`` of N processes, or an existing scheduler at ``tcp://HOST:PORT``).

Every backend only maps a function over a list of items and yields ``(index, result)`` as the
items finish; none of them influences a result, because a replication's random numbers come from
its (seed, replication) alone. Dask is optional (``pip install 'ukp-sim[dask]'``) and imported
only when a cluster is asked for.
"""
from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ukp_sim.base.errors import UserError

WAIT_FOR_WORKERS_S = 300  # a batch system may take minutes to start the first worker job
_LOCAL = re.compile(r"local:(\d+)")
_REMOTE = re.compile(r"(tcp|tls|ucx|inproc)://\S+")


def _ignore_sigint() -> None:
    # Ctrl-C is the main process's to handle: it stops handing out work and keeps what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class InlineBackend:
    """Run the items one after the other in this process, in order."""

    name = "inline"
    workers = 1

    def map(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, object]]:
        for i, item in enumerate(items):
            yield i, fn(item)

    def close(self) -> None:
        pass

    def describe(self) -> dict:
        return {"backend": "inline", "workers": 1}


class ProcessBackend:
    """A pool of local worker processes, started at the first map and kept for the next ones."""

    name = "processes"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, object]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_ignore_sigint)
        pending = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(finished, key=pending.get):
                    i = pending.pop(fut)
                    yield i, fut.result()
        except BaseException:
            # Ctrl-C (or an error): drop what has not started and stop the workers now rather than
            # after their current batch; what finished has already been yielded (and cached).
            for fut in pending:
                fut.cancel()
            self._stop()
            raise

    def _stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def describe(self) -> dict:
        return {"backend": "processes", "workers": self.workers}


class DaskBackend:
    """Dask distributed: ``local:N`` starts a LocalCluster of N single-threaded worker processes
    for this command; ``tcp://HOST:PORT`` connects to a running scheduler (its workers must have
    the same ukp-sim and library versions, which is checked)."""

    name = "dask"

    def __init__(self, address: str):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise UserError(f"--cluster {address} needs Dask, which is not installed (fix: pip install "
                            "'ukp-sim[dask]'; make test installs it)") from None
        self.address = address
        self._cluster = None
        local = _LOCAL.fullmatch(address)
        if local:
            n = int(local.group(1))
            if n < 1:
                raise UserError(f"--cluster {address}: a local cluster needs at least one worker, e.g. local:2")
            import logging

            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(address, timeout="20s")
            except OSError as exc:
                raise UserError(f"--cluster {address}: cannot reach the Dask scheduler ({exc}) (fix: start "
                                "one with `dask scheduler` and workers with `dask worker ADDRESS`, or use "
                                "--cluster local:N)") from None
            try:
                self._client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
            except TimeoutError:
                self.close()
                raise UserError(f"--cluster {address}: no worker joined the scheduler within "
                                f"{WAIT_FOR_WORKERS_S} s (fix: start workers with `dask worker {address}`)") from None
        self._check_versions()  # the workers present now; later ones run the same environment in practice
        self.workers = max(1, sum(self._client.nthreads().values()))

    def _check_versions(self) -> None:
        from ukp_sim.analysis.cache import model_fingerprint

        mine = model_fingerprint()
        theirs = self._client.run(model_fingerprint)
        other = sorted(w for w, fp in theirs.items() if fp != mine)
        if other:
            self.close()
            raise UserError(f"--cluster {self.address}: {len(other)} worker(s) run another model version than "
                            f"this ukp-sim ({', '.join(other[:3])}) (fix: install the same ukp-sim, numpy, scipy, "
                            "simpy and pandas on every worker)")

    def map(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, object]]:
        from dask.distributed import as_completed

        futures = [self._client.submit(fn, item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                yield index[fut.key], fut.result()
        except BaseException:
            self._client.cancel(futures)
            raise

    def close(self) -> None:
        client, self._client = getattr(self, "_client", None), None
        if client is not None:
            client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()

    def describe(self) -> dict:
        return {"backend": "dask", "cluster": self.address, "workers": self.workers}


def check_cluster(address: str) -> str:
    """``address`` if it is ``local:N`` or a scheduler address, else a UserError with the forms."""
    if _LOCAL.fullmatch(address) or _REMOTE.fullmatch(address):
        return address
    raise UserError(f"--cluster '{address}' is neither local:N nor a scheduler address (fix: write --cluster "
                    "local:2 for a local Dask cluster of 2 workers, or --cluster tcp://HOST:8786 for a running "
                    "scheduler)")


def make_backend(jobs: int = 1, cluster: str | None = None):
    """The backend for ``--jobs`` / ``--cluster`` (the cluster wins when both are given)."""
    if cluster:
        return DaskBackend(check_cluster(cluster))
    jobs = max(1, min(int(jobs), os.cpu_count() or 1))
    return InlineBackend() if jobs == 1 else ProcessBackend(jobs)
