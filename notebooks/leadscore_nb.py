"""Helpers the notebooks share: where the run to read is, and Parquet through
`leadscore export` (Debian's Python has no Parquet reader)."""
import os
import shutil
import subprocess
import tempfile

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def run_folder():
    """The run folder to read: $LEADSCORE_RUN, else the demo's latest run."""
    return os.environ.get("LEADSCORE_RUN", os.path.join(HERE, "..", "leadscore-demo", "runs", "latest"))


def backtest_folder():
    """The backtest folder to read: $LEADSCORE_BACKTEST, else the demo's."""
    return os.environ.get("LEADSCORE_BACKTEST", os.path.join(HERE, "..", "leadscore-demo", "backtest"))


def _leadscore():
    exe = os.environ.get("LEADSCORE_BIN") or shutil.which("leadscore")
    if exe:
        return [exe]
    return ["go", "run", os.path.join(HERE, "..", "cmd", "leadscore")]


def read_parquet(path):
    """Reads a Parquet file leadscore wrote into a DataFrame, through a CSV copy."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "table.csv")
        subprocess.run(_leadscore() + ["export", "--in", path, "--out", out, "-q"], check=True, cwd=HERE)
        return pd.read_csv(out, low_memory=False)
