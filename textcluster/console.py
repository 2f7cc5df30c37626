"""What the commands print: the cluster summary, the comparison table, the images/tables line (rich)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer

__all__ = ["print_summary", "print_comparison", "print_features"]


def print_summary(model, metrics: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from .topics import text_snippet

    console = Console()
    k_note = f" (k = {metrics['k_from']})" if metrics.get("k_from", "--k") != "--k" else ""
    table = Table(title=f"{metrics['n_clusters']} clusters{k_note}, {metrics['n_docs']} documents",
                  title_justify="left")
    table.add_column("cluster", justify="right")
    table.add_column("size", justify="right")
    table.add_column("topic (top words)")
    table.add_column("most typical document")
    texts = getattr(model, "texts_", None)
    shown = model.topics_[:30]
    names = [text_snippet("noise / empty documents" if t.cluster < 0 else t.label, 36) for t in shown]
    # cut the example to what the terminal has left (4 columns: 13 characters of borders and padding)
    room = max(console.width - 13 - 7 - max([4] + [len(str(t.size)) for t in shown])
               - max([17] + [len(n) for n in names]), 20)
    for t, name in zip(shown, names):
        example = text_snippet(texts[t.representatives[0]], room - 1) if texts is not None and t.representatives \
            else ""
        table.add_row(str(t.cluster), str(t.size), name, example)
    if len(model.topics_) > 30:
        table.add_row("...", "", f"{len(model.topics_) - 30} more in topics.json", "")
    console.print(table)
    parts = [f"{key}={metrics[key]:.3f}" for key in ("nmi", "ari", "ami", "acc") if key in metrics]
    if metrics.get("silhouette") is not None:
        parts.append(f"silhouette={metrics['silhouette']:.3f}")
    if metrics["noise_fraction"]:
        parts.append(f"noise={metrics['noise_fraction']:.1%}")
    parts.append(f"empty docs={metrics['n_empty_docs']} (cluster -1)" if metrics["n_empty_docs"] else "empty docs=0")
    if metrics.get("n_blank_lines"):
        parts.append(f"blank lines skipped={metrics['n_blank_lines']}")
    if "oov_rate" in metrics:
        parts.append(f"OOV tokens={metrics['oov_tokens']} ({metrics['oov_rate']:.1%})")
    if metrics.get("algorithm"):
        parts.append(f"algorithm={metrics['algorithm']}")
    parts.append(f"time={metrics['seconds']['total']:.1f}s")
    parts.append(f"peak RSS={metrics['peak_rss_mb']:.0f} MB")
    console.print("  ".join(parts))
    note = metrics.get("choice", {}).get("note")
    if note:
        console.print(f"note: {note}", style="yellow")
    console.print(f"results written to {out}/ (assignments.csv, topics.json, metrics.json"
                  f"{', map.html (+ plotly.min.js), map.png' if 'map' in metrics else ''}, model/)")


def print_comparison(result, input: Path, out: Path) -> None:
    import pandas as pd
    from rich import box
    from rich.console import Console
    from rich.table import Table

    df = result.table
    # (column, header): the columns that decide or judge the ranking; all of them are in compare.csv
    shown = [("rank", "#"), ("embedding", "embedding"), ("reduced_with", "reduce"), ("algorithm", "algorithm"),
             ("k", "k"), ("n_clusters", "found"), ("noise_fraction", "noise"), ("consensus", "consensus"),
             ("silhouette", "silh."), ("npmi", "NPMI"), ("nmi", "NMI"), ("acc", "ACC"), ("seconds", "s")]
    shown = [(c, h) for c, h in shown if c in df]
    rule = result.settings.get("rule", "consensus")
    table = Table(title=f"{len(df)} configurations, ranked by {rule} (label-free)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), collapse_padding=True)
    for c, h in shown:
        table.add_column(h, justify="left" if c in ("embedding", "reduced_with", "algorithm") else "right",
                         no_wrap=True)
    for _, row in df.head(25).iterrows():
        cells = []
        for c, _ in shown:
            v = row[c]
            missing = v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v))
            cells.append("-" if missing else f"{v:.1f}" if c == "seconds" else f"{v:.0%}" if c == "noise_fraction"
                         else f"{v:.3f}" if isinstance(v, float) else str(v))
        table.add_row(*cells)
    console = Console(width=None if sys.stdout.isatty() else 120)  # files and pipes: 120 columns, not 80
    console.print(table)
    if len(df) > 25:
        console.print(f"{len(df) - 25} more rows in {out}/compare.csv")
    failed = df["error"].notna().sum()
    if failed:
        console.print(f"{failed} configurations failed (see compare.csv, column error)")
    console.print("consensus: mean NMI of a configuration's clusters with every other configuration's (the "
                  "partition they agree on; higher is better). NPMI: how often a topic's top words occur in the "
                  "same documents, from -1 (never) through 0 (as often as chance) to 1 (always); short "
                  "documents share few words, so it is often negative: compare rows, not its sign.",
                  highlight=False)
    if result.recommendation.get("chosen_by", "").startswith("nmi"):
        console.print(f"recommended (best NMI against the labels): {result.command(str(input))}", highlight=False,
                      soft_wrap=True)
        console.print(f"label-free pick ({rule}): {result.command(str(input), label_free=True)}", highlight=False,
                      soft_wrap=True)
    else:
        console.print(f"recommended ({rule}): {result.command(str(input))}", highlight=False, soft_wrap=True)
    console.print(f"table written to {out}/ (compare.csv, compare.json: every column and row)", highlight=False)


def print_features(metrics: dict, out: Path) -> None:
    k_why = metrics.get("k_from", "--k")
    parts = [f"{metrics['n_clusters']} clusters{f' (k = {k_why})' if k_why != '--k' else ''}, {metrics['n_docs']} items"]
    parts += [f"{key}={metrics[key]:.3f}" for key in ("acc", "nmi", "ari") if key in metrics]
    parts.append(f"time={metrics['seconds']['total']:.1f}s")
    parts.append(f"peak RSS={metrics['peak_rss_mb']:.0f} MB")
    typer.echo("  ".join(parts))
    typer.echo(f"results written to {out}/ (assignments.csv, metrics.json, model/)")
