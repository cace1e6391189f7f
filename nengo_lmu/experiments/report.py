"""What every command and benchmark prints: a readable table, progress with
the time left, and, as its last line, one JSON object."""

import json
import math
import time


def print_table(rows, title=None):
    """Print ``rows`` (a list of dicts with the same keys) as an aligned table."""
    if title:
        print(title)
    if not rows:
        return
    keys = list(rows[0])
    cells = [[format_cell(row.get(key)) for key in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    print("  ".join("-" * w for w in widths))
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


def format_cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def print_json(figures):
    """Print ``figures`` as the one-line JSON object that ends every command
    (NaN, which JSON cannot hold, as null)."""
    print(json.dumps(_finite(figures), default=float))


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class Progress:
    """``progress(done, total)`` printing a line with the time left.

    Examples
    --------
    >>> progress = Progress("sequences", clock=iter([0.0, 10.0]).__next__)
    >>> progress(50, 200)
      50 / 200 sequences  (10 s, about 30 s left)
    """

    def __init__(self, what, clock=time.perf_counter):
        self.what, self.clock = what, clock
        self.start = clock()

    def __call__(self, done, total, extra=""):
        elapsed = self.clock() - self.start
        left = elapsed / done * (total - done) if done else float("nan")
        print(
            f"  {done:g} / {total:g} {self.what}{extra}  ({elapsed:.0f} s, "
            f"{eta(left)})",
            flush=True,
        )


def eta(seconds):
    """'about N s left' (or 'done')."""
    if not math.isfinite(seconds):
        return "time left unknown"
    if seconds < 0.5:
        return "done"
    if seconds < 120:
        return f"about {seconds:.0f} s left"
    return f"about {seconds / 60:.0f} min left"
