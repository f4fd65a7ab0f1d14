"""A progress bar for long management commands (generate_people, find_duplicates, imports)."""

import time


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, stream, width: int = 30):
        self.label, self.stream, self.width = label, stream, width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int):
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = int(self.width * done / total) if total else self.width
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0
        line = (
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,} "
            f"({100 * done / total if total else 100:.0f} %, {elapsed:.0f} s, {rate:,.0f}/s)"
        )
        self.stream.write(line + ("\n" if done >= total else ""), ending="")  # a Django OutputWrapper
        self.stream.flush()
