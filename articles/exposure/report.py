"""What an audit found: findings, the report they make, and how it is printed."""

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which object, at which URL, by which vector, and the evidence."""

    severity: str
    object: str
    url: str
    vector: str
    evidence: str


def leak(obj: str, url: str, vector: str, evidence: str) -> Finding:
    """An error finding: something non-public got out (or could not be shown not to)."""
    return Finding(ERROR, obj, url, vector, evidence)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    requests: int = 0
    # Which objects the door variants were asked for (``plan.Plan.describe``).
    sampling: str = ""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def exit_code(self) -> int:
        """1 when anything leaks or a configuration error is found, else 0."""
        return 1 if self.errors else 0

    def as_dict(self) -> dict:
        return {
            "clean": not self.errors,
            "objects_checked": self.objects,
            "requests": self.requests,
            "sampling": self.sampling,
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
            "findings": [asdict(f) for f in self.findings],
        }

    def table(self) -> list[str]:
        """The findings as aligned columns, then a one-line verdict."""
        columns = ("severity", "object", "url", "vector", "evidence")
        rows = [[getattr(f, c) or "-" for c in columns] for f in self.findings]
        widths = [
            min(40, max([len(c)] + [len(row[i]) for row in rows])) for i, c in enumerate(columns)
        ]
        lines = []
        if rows:
            lines.append(
                "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
            )
            for row in rows:
                cells = [
                    value.ljust(width) if i < len(columns) - 1 else value
                    for i, (value, width) in enumerate(zip(row, widths, strict=True))
                ]
                lines.append("  ".join(cells))
        verdict = "LEAKS FOUND" if self.errors else "clean"
        lines.append(
            f"{verdict}: {len(self.errors)} error(s), "
            f"{len(self.findings) - len(self.errors)} warning(s); "
            f"{self.objects} non-public objects checked with {self.requests} requests."
        )
        if self.sampling:
            lines.append(self.sampling)
        return lines
