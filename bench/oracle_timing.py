"""Benchmark: does a hidden object cost more to refuse than a missing one? Interleaved medians.

    .venv/bin/python bench/oracle_timing.py [--samples 300]

Builds, in a temporary SQLite database and asset directory, a draft with an image, a 2 MB draft, a public article
with an unpublished edit, one without, and a reader without any grant. Then, for each pair below,
requests the two URLs alternately (the order flipped every round, so drift and warm-up hit both
alike) with Django's test client and prints each side's median, and the ratio of the medians. The
second URL of each pair is the baseline, measured in the same run; a ratio near 1.00 means the
answer's cost does not tell the two apart.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scratch import configure

LARGE_DRAFT_WORDS = 400_000  # about 2 MB of Markdown, and as much again rendered


def build() -> dict[str, str]:
    """The objects the pairs compare; returns the URLs by name."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from articles import access, publishing

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    image = SimpleUploadedFile("chart.png", buffer.getvalue(), content_type="image/png")
    draft = publishing.article_create(
        actor=access.SYSTEM, slug="hidden-draft", title="Hidden", files=[("chart.png", image)]
    )
    edited = publishing.article_create(
        actor=access.SYSTEM, slug="edited", title="Edited", body="Live."
    )
    publishing.article_publish(actor=access.SYSTEM, article=edited)
    publishing.article_update(
        actor=access.SYSTEM, article=edited, title="Edited", body="Unpublished."
    )
    # Megabytes of words: refusing it must cost what refusing a slug that never existed costs.
    publishing.article_create(
        actor=access.SYSTEM, slug="large-draft", title="Large", body="word " * LARGE_DRAFT_WORDS
    )
    plain = publishing.article_create(
        actor=access.SYSTEM, slug="plain", title="Plain", body="Live."
    )
    publishing.article_publish(actor=access.SYSTEM, article=plain)
    token = draft.latest_revision.assets.get().token
    return {
        "hidden": "/articles/hidden-draft/",
        "missing": "/articles/never-existed/",
        "hidden large draft": "/articles/large-draft/",
        "hidden draft door": "/articles/hidden-draft/draft/",
        "missing draft door": "/articles/never-existed/draft/",
        "hidden asset": f"/assets/{token}/chart.png",
        "missing asset": f"/assets/{'A' * len(token)}/chart.png",
        "public with unpublished edit": "/articles/edited/",
        "public without": "/articles/plain/",
    }


PAIRS = [
    ("hidden", "missing"),
    ("hidden large draft", "missing"),
    ("hidden draft door", "missing draft door"),
    ("hidden asset", "missing asset"),
    ("public with unpublished edit", "public without"),
]


def interleaved_medians(client, first: str, second: str, samples: int) -> tuple[float, float]:
    """Median seconds of ``first`` and ``second``, requested alternately, order flipped per round."""
    timings: dict[str, list[float]] = {first: [], second: []}
    for round_number in range(samples):
        order = (first, second) if round_number % 2 == 0 else (second, first)
        for url in order:
            started = time.perf_counter()
            client.get(url)
            timings[url].append(time.perf_counter() - started)
    return statistics.median(timings[first]), statistics.median(timings[second])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300, help="Rounds per pair (default 300).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="embargo-bench-") as workdir:
        configure(Path(workdir))
        import logging

        from django.contrib.auth.models import User
        from django.test import Client

        logging.getLogger("django.request").setLevel(logging.ERROR)
        from articles.exposure import audit_host

        urls = build()
        reader = Client(HTTP_HOST=audit_host())
        reader.force_login(User.objects.create_user("reader-without-grant"))
        people = {"anonymous": Client(HTTP_HOST=audit_host()), "signed in, no grant": reader}
        for who, client in people.items():
            for name, url in urls.items():
                expected = 200 if name.startswith("public") else 404
                if (status := client.get(url).status_code) != expected:
                    print(f"{who}: {url} answered {status}, not {expected}; nothing measured.")
                    return 1
        print(f"{'who':<20} {'probe':<30} {'probe ms':>9} {'baseline ms':>12} {'ratio':>6}")
        for who, client in people.items():
            for probe, baseline in PAIRS:
                # Warm-up, not measured (for anonymous readers it also fills the page cache, which
                # then answers both public pages alike).
                client.get(urls[probe])
                client.get(urls[baseline])
                probe_s, base_s = interleaved_medians(
                    client, urls[probe], urls[baseline], args.samples
                )
                print(
                    f"{who:<20} {probe:<30} {probe_s * 1000:>9.3f} {base_s * 1000:>12.3f} "
                    f"{probe_s / base_s:>6.2f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
