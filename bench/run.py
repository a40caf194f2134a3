"""`make bench`: Embargo under load on this machine, every target beside its baseline, one table.

    .venv/bin/python bench/run.py [--check] [--duration 3] [--rounds 3] [--only embedded|scale]

For each configuration — *embedded* (SQLite, local-memory cache: what `make serve` runs by default)
and *scale* (PostgreSQL and Redis, when both answer) — and each data set (the demo, then 10,000
articles with 50,000 assets and 1,000,000 grant rows; bench/datasets.py builds them), it serves the
site with gunicorn (2 workers, production settings) on a free loopback port and drives it with
`wrk`. Every target is measured in the same run as its baseline, rounds interleaved (the order
flipped every round) so that the machine's other work weighs on both alike:

- whitenoise serving a static file the size of the article page is the baseline for pages;
- whitenoise serving a 1 MiB static file is the baseline for 1 MiB downloads;
- a slug that never existed is the baseline for a hidden draft (the same reader asks both);
- the demo (a handful of articles) is the baseline for the admin list at 10,000.

Then, in-process: `visible_to` at 100,000 articles (bench/visible_to.py), the exposure audit and an
import of 10,000 articles (bench/audit_scale.py, bench/import_rate.py), and the RSS growth of the
worker serving a 100 MiB private download. `--check` exits 1 when a target is missed (never part
of `make test`: a timing is a measurement, not a behaviour).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))

from reachable_services import reachable  # noqa: E402
from scratch import server_environment  # noqa: E402

POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/embargo_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
CONNECTIONS = 16
# What this shell says about the site's own database, cache or mode must not reach the bench's.
BASE_ENVIRONMENT = {
    name: value
    for name, value in os.environ.items()
    if not name.startswith(("EMBARGO_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
}
MIB = 1024 * 1024


@dataclass
class Load:
    """One wrk run: throughput, latency and what went wrong."""

    rps: float
    p50_ms: float
    p99_ms: float
    failures: int


@dataclass
class Results:
    """Everything one configuration measured, by data set."""

    name: str
    throughput: dict = field(default_factory=dict)  # size -> target -> [Load]
    latency: dict = field(default_factory=dict)  # size -> target -> [Load]
    memory_mib: dict = field(default_factory=dict)  # size -> growth
    failures: list = field(default_factory=list)


# --- wrk ---------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, *, cookie: str = "", connections: int, duration: int) -> Load:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if not {"50", "99"} <= percentile.keys():
        sys.exit(f"wrk measured nothing at {url}:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(percentile["50"]),
        p99_ms=_ms(percentile["99"]),
        failures=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    )


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with 2 workers on a free port, in its own process group, stopped by its id."""

    def __init__(self, environment: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.environment = {
            **BASE_ENVIRONMENT,
            **environment,
            "EMBARGO_ENVIRONMENT": "production",
            "EMBARGO_HTTPS": "false",
            "EMBARGO_BASE_URL": self.base,
            "WEB_CONCURRENCY": "2",
        }

    def __enter__(self):
        gunicorn = Path(PYTHON).parent / "gunicorn"
        # A file, not a pipe: nothing reads the log while wrk runs, and once a pipe's 64 KiB buffer
        # is full every worker blocks on its next log line (the 100 MiB download then timed out).
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(gunicorn), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped: {self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        sys.exit("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc_info):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()

    def log_tail(self) -> str:
        self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, self.log.tell() - 2000))
        return self.log.read().decode(errors="replace")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def status(self, path: str, cookie: str = "") -> int:
        request = urllib.request.Request(
            self.base + path, headers={"Cookie": cookie} if cookie else {}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def rss_mib(pid: int) -> float:
    """The resident memory of ``pid``; 0 once it has exited (gunicorn recycles workers)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def download_growth(server: Server, path: str, cookie: str) -> float:
    """The largest RSS growth of any worker while one streams a 100 MiB private file."""
    workers = server.workers()
    before = {pid: rss_mib(pid) for pid in workers}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], rss_mib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    request = urllib.request.Request(server.base + path, headers={"Cookie": cookie})
    received = 0
    with urllib.request.urlopen(request, timeout=120) as response:
        while chunk := response.read(256 * 1024):
            received += len(chunk)
    done.set()
    sampler.join()
    if received != 100 * MIB:
        sys.exit(f"the 100 MiB download returned {received} bytes")
    return max(peak[pid] - before[pid] for pid in workers)


# --- one configuration -------------------------------------------------------------------------


def build(size: str, workdir: Path, database_url: str) -> dict:
    command = [PYTHON, str(BENCH / "datasets.py"), "--workdir", str(workdir), "--size", size]
    if database_url:
        command += ["--database-url", database_url]
    started = time.perf_counter()
    output = subprocess.run(command, cwd=ROOT, env=BASE_ENVIRONMENT, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"building the {size} data set failed:\n{output.stderr[-3000:]}")
    manifest = json.loads(output.stdout.strip().splitlines()[-1])
    print(
        f"  built {size}: {manifest['articles']} articles in {time.perf_counter() - started:.0f} s"
    )
    return manifest


def collect_static(environment: dict[str, str], manifest: dict) -> None:
    """The site's static files, plus the two baselines whitenoise serves beside them."""
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env={**BASE_ENVIRONMENT, **environment, "EMBARGO_ENVIRONMENT": "production"},
        check=True,
    )
    baseline = ROOT / "var" / "static" / "bench"
    baseline.mkdir(parents=True, exist_ok=True)
    (baseline / "article.html").write_bytes(b"x" * manifest["article_bytes"])
    # As large as the public asset it is compared with (a PNG of noise, about 1 MiB).
    (baseline / "one-mib.bin").write_bytes(os.urandom(manifest["public_asset_bytes"]))


def sitemap_page(server: Server) -> str:
    """The first sitemap page the index lists (or the sitemap itself, if it is not an index)."""
    with urllib.request.urlopen(server.base + "/sitemap.xml", timeout=60) as response:
        body = response.read().decode()
    if "<sitemapindex" not in body:
        return "/sitemap.xml"
    first = re.search(r"<loc>([^<]+)</loc>", body).group(1)
    return re.sub(r"^https?://[^/]+", "", first)


def targets(manifest: dict) -> tuple[list, list]:
    reader = manifest["cookies"]["reader"]
    article = f"/articles/{manifest['public_slug']}/"
    throughput = [
        ("a static page", "/static/bench/article.html", ""),
        ("b article, cached", article, ""),
        ("c article, signed in", article, reader),
        ("d home", "/", ""),
        ("d tag", f"/tags/{manifest['tag']}/", ""),
        ("d tag index", "/tags/", ""),
        ("d search", "/search/?q=model", ""),
        ("d feed", "/feeds/rss/", ""),
        ("d sitemap index", "/sitemap.xml", ""),
        ("e public 1 MiB asset", manifest["public_asset"], ""),
        ("f static 1 MiB file", "/static/bench/one-mib.bin", ""),
        ("g private 1 MiB asset", manifest["private_asset"], reader),
    ]
    latency = [
        ("search", "/search/?q=model", ""),
        ("tag index", "/tags/", ""),
        ("sitemap page", None, ""),
        ("admin list", "/admin/articles/article/", manifest["cookies"]["editor"]),
        ("hidden draft, signed in", f"/articles/{manifest['hidden_slug']}/", reader),
        ("missing slug, signed in", "/articles/bench-never-existed/", reader),
    ]
    return throughput, latency


def interleaved(server: Server, runs: list, *, rounds: int, connections: int, duration: int):
    """Each target ``rounds`` times, the order flipped every round; a target's Loads by name."""
    measured: dict[str, list[Load]] = {name: [] for name, _, _ in runs}
    for number in range(rounds):
        for name, path, cookie in runs if number % 2 == 0 else list(reversed(runs)):
            measured[name].append(
                wrk(server.base + path, cookie=cookie, connections=connections, duration=duration)
            )
    return measured


def measure(config: str, database_url: str, redis_url: str, args) -> Results:
    results = Results(config)
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"embargo-bench-{config}-{size}-") as workdir:
            manifest = build(size, Path(workdir), database_url)
            environment = server_environment(Path(workdir), database_url)
            if redis_url:
                environment["REDIS_URL"] = redis_url
                _flush_redis(redis_url)
            collect_static(environment, manifest)
            throughput, latency = targets(manifest)
            with Server(environment) as server:
                latency = [
                    (name, path or sitemap_page(server), cookie) for name, path, cookie in latency
                ]
                expected = {"hidden draft, signed in": 404, "missing slug, signed in": 404}
                for name, path, cookie in throughput + latency:
                    status = server.status(path, cookie)
                    if status != expected.get(name, 200):
                        results.failures.append(f"{config}/{size} {name}: {path} answered {status}")
                # The hidden/missing pair answers 404 by design; wrk counts those as failures.
                results.throughput[size] = interleaved(
                    server,
                    throughput,
                    rounds=args.rounds,
                    connections=CONNECTIONS,
                    duration=args.duration,
                )
                results.latency[size] = interleaved(
                    server, latency, rounds=args.rounds, connections=1, duration=args.duration
                )
                results.memory_mib[size] = download_growth(
                    server, manifest["large_private_asset"], manifest["cookies"]["reader"]
                )
        print(f"  measured {config}/{size}")
    return results


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


# --- in-process measurements -------------------------------------------------------------------


def script(name: str, *extra: str) -> dict | None:
    """Run bench/<name> and return the JSON object on its last line (None if it is not there)."""
    path = BENCH / name
    if not path.exists():
        return None
    output = subprocess.run(
        [PYTHON, str(path), *extra], cwd=ROOT, env=BASE_ENVIRONMENT, capture_output=True, text=True
    )
    if output.returncode not in (0, 1) or not output.stdout.strip():
        sys.exit(f"bench/{name} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- the table ---------------------------------------------------------------------------------


def median(loads: list[Load], attribute: str) -> float:
    return statistics.median(getattr(load, attribute) for load in loads)


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.missed: list[str] = []

    def add(self, what: str, value: str, target: str = "", met: bool | None = None):
        verdict = "" if met is None else ("met" if met else "MISSED")
        if met is False:
            self.missed.append(what)
        self.rows.append((what, value, target, verdict))

    def render(self) -> str:
        lines = ["| measurement | value | target | |", "|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines)


def tabulate(table: Table, results: Results) -> None:
    c = results.name
    for size in results.throughput:
        loads = results.throughput[size]
        page = median(loads["a static page"], "rps")
        one_mib = median(loads["f static 1 MiB file"], "rps")
        for name, runs in loads.items():
            rps, p50, p99 = (median(runs, a) for a in ("rps", "p50_ms", "p99_ms"))
            baseline = one_mib if name[0] in "efg" else page
            ratio = rps / baseline
            minimum = {"b": 0.7, "c": 0.3, "e": 0.5, "g": 0.3}.get(name[0])
            table.add(
                f"{c} {size}: {name} (req/s, p50/p99 ms)",
                f"{rps:.0f} req/s ({ratio:.2f}x), {p50:.1f}/{p99:.1f}",
                f">= {minimum}x" if minimum else "",
                ratio >= minimum if minimum else None,
            )
        latency = results.latency[size]
        for name in ("search", "tag index", "sitemap page"):
            p50 = median(latency[name], "p50_ms")
            limit = 200 if name == "sitemap page" else 50
            checked = size == "10k" or name == "sitemap page"
            table.add(
                f"{c} {size}: {name} p50",
                f"{p50:.1f} ms",
                f"< {limit} ms" if checked else "",
                p50 < limit if checked else None,
            )
        admin = median(latency["admin list"], "p50_ms")
        table.add(f"{c} {size}: admin list p50", f"{admin:.1f} ms")
        hidden = median(latency["hidden draft, signed in"], "p50_ms")
        missing = median(latency["missing slug, signed in"], "p50_ms")
        table.add(
            f"{c} {size}: hidden / missing draft, signed in",
            f"{hidden / missing:.2f}",
            "<= 1.05",
            hidden / missing <= 1.05,
        )
        growth = results.memory_mib[size]
        table.add(
            f"{c} {size}: RSS growth, 100 MiB download",
            f"{growth:.1f} MiB",
            "< 20 MiB",
            growth < 20,
        )
    failures = sum(
        load.failures
        for by_size in (results.throughput, results.latency)
        for size, loads in by_size.items()
        for name, runs in loads.items()
        if "hidden" not in name and "missing" not in name
        for load in runs
    ) + len(results.failures)
    table.add(f"{c}: non-2xx responses and socket errors", str(failures), "0", failures == 0)
    for failure in results.failures:
        print(f"  {failure}")
    if set(results.latency) == {"demo", "10k"}:
        small = median(results.latency["demo"]["admin list"], "p50_ms")
        large = median(results.latency["10k"]["admin list"], "p50_ms")
        table.add(
            f"{c}: admin list, 10k / demo p50",
            f"{large:.0f} / {small:.0f} ms = {large / small:.2f}",
            "<= 2",
            large / small <= 2,
        )


def in_process(table: Table, database_urls: dict[str, str]) -> None:
    for config, url in database_urls.items():
        extra = ["--database-url", url] if url else []
        visible = script("visible_to.py", *extra)
        table.add(
            f"{config}: visible_to, first page at 100,000 articles",
            f"{visible['ms']:.1f} ms",
            "< 50 ms",
            visible["ms"] < 50,
        )
        audit = script("audit_scale.py", *extra)
        if audit is None:
            table.add(
                f"{config}: audit_exposure at 10,000",
                "bench/audit_scale.py missing",
                "< 120 s",
                False,
            )
        else:
            table.add(
                f"{config}: audit_exposure at 10,000",
                f"{audit['seconds']:.0f} s",
                "< 120 s",
                audit["seconds"] < 120,
            )
        imported = script("import_rate.py", *extra)
        if imported is None:
            table.add(
                f"{config}: import_articles at 10,000",
                "bench/import_rate.py missing",
                ">= 100/s",
                False,
            )
        else:
            rate = imported["articles_per_second"]
            table.add(
                f"{config}: import_articles at 10,000",
                f"{rate:.0f} articles/s",
                ">= 100/s",
                rate >= 100,
            )


def main() -> int:
    # Progress as it happens, also when the output is a file: a full run takes half an hour.
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument("--duration", type=int, default=3, help="Seconds per wrk run.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds per target.")
    parser.add_argument("--only", choices=["embedded", "scale"])
    parser.add_argument(
        "--sizes",
        type=lambda text: text.split(","),
        default=["demo", "10k"],
        help="Data sets, comma-separated (default demo,10k).",
    )
    parser.add_argument(
        "--skip-in-process",
        action="store_true",
        help="Only the served measurements (no visible_to, audit, import).",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make bench does this)")
    configs = {"embedded": ("", "")}
    if reachable(POSTGRES_URL) and reachable(REDIS_URL):
        configs["scale"] = (POSTGRES_URL, REDIS_URL)
    else:
        print(f"scale: PostgreSQL ({POSTGRES_URL}) or Redis ({REDIS_URL}) does not answer; skipped")
    if args.only:
        configs = {args.only: configs[args.only]} if args.only in configs else {}
    table = Table()
    started = time.perf_counter()
    for config, (database_url, redis_url) in configs.items():
        print(f"{config}:")
        tabulate(table, measure(config, database_url, redis_url, args))
    if not args.skip_in_process:
        in_process(table, {config: url for config, (url, _) in configs.items()})
    load = os.getloadavg()[0]
    print()
    print(table.render())
    print(
        f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the end, {time.perf_counter() - started:.0f} s; "
        f"{len(table.missed)} target(s) missed"
        + (f": {', '.join(table.missed)}" if table.missed else "")
    )
    return 1 if args.check and table.missed else 0


if __name__ == "__main__":
    sys.exit(main())
