"""`manage.py run_clock`: warn agencies before their requests are due, and tell duty inboxes and MASH
managers when a request or a decision is overdue.

A loop (like Healthchecks' `sendalerts`): each pass plans the notices the clocks call for, claims
the due ones with a conditional UPDATE and delivers them, then sends their emails. Any number of
run_clock processes may run against one database; each notice is still sent once
(docs/adr/0010-escalation.md). `--once` does one pass and exits (tests, cron).
"""

import logging
import os
import signal
import socket
import threading
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from openmash.escalation.services import clock_pass

log = logging.getLogger("openmash.escalation")


class Command(BaseCommand):
    help = "Send escalation notices (warnings and breaches) as deadlines approach and pass."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=settings.OPENMASH_CLOCK_INTERVAL_SECONDS,
            help="Seconds between passes (default %(default)s; OPENMASH_CLOCK_INTERVAL_SECONDS)",
        )
        parser.add_argument("--once", action="store_true", help="Do one pass and exit")
        parser.add_argument("--batch", type=int, default=50, help="Notices claimed at a time (default %(default)s)")
        parser.add_argument("--worker", default="", help="This process's name in claims (default host:pid:random)")

    def handle(self, *args, interval, once, batch, worker, **options):
        worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        if interval <= 0 or batch <= 0:
            self.stderr.write("--interval and --batch must be positive")
            raise SystemExit(2)
        stop = threading.Event()

        def request_stop(signum, _frame):
            # Finish the notice in hand, then stop: a notice is never left half-sent by a normal stop.
            log.info("run_clock %s stopping (signal %d)", worker, signum)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        log.info("run_clock %s started: %s", worker, "one pass" if once else f"a pass every {interval:g} s")
        while not stop.is_set():
            started = time.monotonic()
            close_old_connections()  # a database restarted since the last pass gets a fresh connection
            try:
                result = clock_pass(worker=worker, batch=batch)
            except DatabaseError as exc:
                # The database went away or was busy: the next pass starts afresh. Work claimed in a
                # failed pass is taken back after the claim timeout.
                log.error("run_clock %s: pass failed (%s); trying again in %g s", worker, exc, interval)
                close_old_connections()
                if once:
                    raise
            except Exception:
                log.exception("run_clock %s: pass failed; trying again in %g s", worker, interval)
                if once:
                    raise
            else:
                if result:
                    log.info("run_clock %s: %s", worker, result.summary())
                else:
                    log.debug("run_clock %s: nothing to do", worker)
            if once:
                break
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
        log.info("run_clock %s stopped", worker)
