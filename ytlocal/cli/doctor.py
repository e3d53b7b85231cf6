"""``ytlocal doctor``."""

from __future__ import annotations

import click

from . import cli
from .app import AppContext


@cli.command()
@click.option("--cluster", metavar="ADDRESS",
              help="Check every worker of a Dask cluster instead (tcp://HOST:8786 or local:N).")
@click.pass_obj
def doctor(app: AppContext, cluster: str | None) -> None:
    """Check Python, ffmpeg, libraries, llama.cpp, GPU, models, config and disk space.

    Example: ytlocal doctor --cluster tcp://scheduler:8786
    """
    from ..doctor import FAIL, run_checks
    from ..errors import DoctorError

    if cluster:
        from ..cluster import cluster_checks

        checks = cluster_checks(cluster)
    else:
        checks = run_checks(app.settings())
    width = max(len(check.label) for check in checks)
    for check in checks:
        line = f"{check.status:<4}  {check.label.ljust(width)}  {check.detail}"
        if check.fix and check.status != "OK":
            line += f"  -> {check.fix}"
        click.echo(line)
    failures = [check for check in checks if check.status == FAIL]
    if failures:
        raise DoctorError(f"{len(failures)} check(s) failed: {', '.join(c.label for c in failures)}")
