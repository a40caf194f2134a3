"""Judging many probes at once: forked processes in-process, threads over HTTP.

Nothing is global: the work function and its items are inherited by each forked worker (or shared
by the threads), only item numbers travel to a worker and only outcomes travel back. Whatever goes
wrong with one item, or with a whole worker process, comes back as an error finding naming what
was not judged; an audit never reports clean because a worker failed quietly.
"""

import multiprocessing
import multiprocessing.connection
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from django.db import connections

from articles.exposure.report import Finding, leak

# Items travel to a worker in chunks of at most CHUNK, and each worker gets several chunks, so that
# one slow chunk cannot leave the other workers idle.
CHUNK = 64
CHUNKS_PER_WORKER = 4
# Below this many items, starting worker processes costs more than it saves.
PROCESSES_FROM = 1000


def _ready(readers: list[Connection]) -> list[Connection]:
    """Those of ``readers`` that have something to read (or have ended), in wait()'s order."""
    ready = []
    for reader in multiprocessing.connection.wait(readers):
        # wait() answers with some of the objects it was given (its type says: any kind it takes).
        if not isinstance(reader, Connection):
            raise TypeError(f"wait() answered {reader!r}, not a worker's pipe")
        ready.append(reader)
    return ready


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

    def __init__(
        self, count: int = 1, kind: str = "process", *, processes_from: int = PROCESSES_FROM
    ):
        if kind not in ("process", "thread"):
            raise ValueError(f"kind must be process or thread, not {kind!r}")
        self.count = count
        self.kind = kind
        self.processes_from = processes_from

    def map(
        self,
        work: Callable[[Any], Outcome],
        items: Sequence,
        describe: Callable[[Any], str],
        *,
        processes_from: int | None = None,
    ) -> Iterator[Outcome]:
        """Each item's outcome, in the items' order; ``processes_from`` items for processes to pay,
        if not the workers' own (fewer items suffice when each is dear)."""
        size = max(1, min(CHUNK, -(-len(items) // (self.count * CHUNKS_PER_WORKER))))
        chunks = [
            range(start, min(start + size, len(items))) for start in range(0, len(items), size)
        ]
        threshold = self.processes_from if processes_from is None else processes_from
        few = self.kind == "process" and len(items) < threshold
        judged: Iterator[list[Outcome]]
        if self.count <= 1 or len(chunks) <= 1 or few:
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
        tasks = context.Queue()
        for number in range(len(chunks)):
            tasks.put(number)
        for _ in range(self.count):
            tasks.put(None)
        # Each worker opens its own database connection; none may inherit the parent's.
        connections.close_all()
        processes, readers = [], []
        for _ in range(self.count):
            # One pipe per worker, written without a feeder thread: what a worker judged has
            # arrived even if it dies next, and its death shows as the end of its pipe.
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(
                target=self._serve, args=(work, items, describe, chunks, tasks, writer)
            )
            process.start()
            writer.close()
            processes.append(process)
            readers.append(reader)
        try:
            yield from self._collect(processes, readers, items, describe, chunks)
        finally:
            for process in processes:
                process.join(timeout=5)
                if process.is_alive():
                    process.terminate()

    def _serve(self, work, items, describe, chunks, tasks, writer) -> None:
        """A worker process: judge chunks until told to stop; say why if it has to stop early."""
        try:
            while (number := tasks.get()) is not None:
                writer.send((number, self._judge_chunk(work, items, describe, chunks[number])))
        except BaseException:
            writer.send((None, traceback.format_exc(limit=3)))
            raise
        finally:
            writer.close()
            connections.close_all()

    @staticmethod
    def _collect(
        processes, readers: list[Connection], items, describe, chunks
    ) -> Iterator[list[Outcome]]:
        done: dict[int, list[Outcome]] = {}
        crashes: list[str] = []
        next_up = 0
        while next_up < len(chunks):
            if next_up in done:
                yield done.pop(next_up)
                next_up += 1
            elif not readers:
                # Every worker has ended; whatever was not sent back was never judged.
                for process in processes:
                    process.join()
                exits = ", ".join(str(p.exitcode) for p in processes)
                reason = "; ".join(crashes) or f"its worker process ended (exit codes {exits})"
                for number in range(next_up, len(chunks)):
                    if number not in done:
                        done[number] = [failed(describe(items[i]), reason) for i in chunks[number]]
            else:
                for reader in _ready(readers):
                    try:
                        number, outcomes = reader.recv()
                    except EOFError:
                        readers.remove(reader)
                        continue
                    if number is None:
                        last = outcomes.strip().splitlines()[-1]
                        crashes.append(f"a worker process failed: {last}")
                    else:
                        done[number] = outcomes
