"""Judging many probes at once: forked processes in-process, threads over HTTP.

Nothing is global: the work function and its items are inherited by each forked worker (or shared
by the threads), only item numbers travel to a worker and only outcomes travel back. Whatever goes
wrong with one item, or with a whole worker process, comes back as an error finding naming what
was not judged; an audit never reports clean because a worker failed quietly.
"""

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from articles.exposure.report import Finding, leak

CHUNK = 64
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    """What judging one item gave: findings, same-site links it found, and requests it made."""

    findings: list[Finding] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    requests: int = 1


def failed(description: str, reason: str) -> Outcome:
    return Outcome(
        [leak("the audit", description, "audit worker", f"not judged: {reason}; this is unaudited")]
    )


class Workers:
    """Runs ``work`` over items in ``count`` workers of ``kind`` ("process" or "thread")."""

    def __init__(self, count: int = 1, kind: str = "process"):
        if kind not in ("process", "thread"):
            raise ValueError(f"kind must be process or thread, not {kind!r}")
        self.count = count
        self.kind = kind

    def map(
        self,
        work: Callable[[Any], Outcome],
        items: Sequence,
        describe: Callable[[Any], str],
    ) -> Iterator[Outcome]:
        """Each item's outcome, in the items' order."""
        chunks = [
            range(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)
        ]
        if self.count <= 1 or len(chunks) <= 1:
            judged = (self._judge_chunk(work, items, describe, chunk) for chunk in chunks)
        elif self.kind == "thread":
            judged = self._in_threads(work, items, describe, chunks)
        else:
            judged = self._in_processes(work, items, describe, chunks)
        for outcomes in judged:
            yield from outcomes

    @staticmethod
    def _judge_chunk(work, items, describe, chunk: range) -> list[Outcome]:
        outcomes = []
        for index in chunk:
            try:
                outcomes.append(work(items[index]))
            except Exception as error:
                outcomes.append(failed(describe(items[index]), f"{type(error).__name__}: {error}"))
        return outcomes

    def _in_threads(self, work, items, describe, chunks) -> Iterator[list[Outcome]]:
        def judge(chunk: range) -> list[Outcome]:
            try:
                return self._judge_chunk(work, items, describe, chunk)
            finally:
                connections.close_all()  # this thread's own connections

        with ThreadPoolExecutor(max_workers=self.count) as pool:
            yield from pool.map(judge, chunks)

    def _in_processes(self, work, items, describe, chunks) -> Iterator[list[Outcome]]:
        context = multiprocessing.get_context("fork")
        tasks, results = context.Queue(), context.Queue()
        for number in range(len(chunks)):
            tasks.put(number)
        for _ in range(self.count):
            tasks.put(None)
        # Each worker opens its own database connection; none may inherit the parent's.
        connections.close_all()
        processes = [
            context.Process(
                target=self._serve, args=(work, items, describe, chunks, tasks, results)
            )
            for _ in range(self.count)
        ]
        for process in processes:
            process.start()
        try:
            yield from self._collect(processes, results, items, describe, chunks)
        finally:
            for process in processes:
                process.join(timeout=5)
                if process.is_alive():
                    process.terminate()

    def _serve(self, work, items, describe, chunks, tasks, results) -> None:
        """A worker process: judge chunks until told to stop; report what it could not judge."""
        try:
            while (number := tasks.get()) is not None:
                results.put((number, self._judge_chunk(work, items, describe, chunks[number])))
        except BaseException:
            results.put((None, traceback.format_exc(limit=3)))
            raise
        finally:
            connections.close_all()

    @staticmethod
    def _collect(processes, results, items, describe, chunks) -> Iterator[list[Outcome]]:
        done: dict[int, list[Outcome]] = {}
        crashes: list[str] = []
        next_up = 0
        while next_up < len(chunks):
            if next_up in done:
                yield done.pop(next_up)
                next_up += 1
                continue
            try:
                number, outcomes = results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if any(process.is_alive() for process in processes):
                    continue
                exits = ", ".join(str(p.exitcode) for p in processes)
                reason = "; ".join(crashes) or f"its worker process ended (exit codes {exits})"
                for number in range(next_up, len(chunks)):
                    done.setdefault(
                        number, [failed(describe(items[i]), reason) for i in chunks[number]]
                    )
                continue
            if number is None:
                crashes.append(f"a worker process failed: {outcomes.strip().splitlines()[-1]}")
            else:
                done[number] = outcomes
