"""Two revisions side by side, word by word: title, summary, body, tags and files.

Lines are matched first and only changed lines are compared word by word, so a long body costs
a line diff plus small word diffs, not a quadratic match over every word. The chunks are plain
text; the template escapes them.
"""

import difflib
import re
from dataclasses import dataclass

from articles.models import Revision

# Words and the whitespace between them, so joining the chunks gives the text back exactly.
_WORDS = re.compile(r"\s+|[^\s]+")

Chunk = tuple[str, str]  # (kind, text): kind is "same", "removed" or "added"


@dataclass(frozen=True)
class FieldComparison:
    label: str
    old: tuple[Chunk, ...]  # the left column: unchanged and removed text
    new: tuple[Chunk, ...]  # the right column: unchanged and added text

    @property
    def changed(self) -> bool:
        return any(kind != "same" for kind, _text in (*self.old, *self.new))


@dataclass(frozen=True)
class RevisionComparison:
    old: Revision
    new: Revision
    fields: tuple[FieldComparison, ...]
    tags_added: tuple[str, ...]
    tags_removed: tuple[str, ...]
    assets_added: tuple[str, ...]
    assets_removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return any(field.changed for field in self.fields) or bool(
            self.tags_added or self.tags_removed or self.assets_added or self.assets_removed
        )


def _word_chunks(old: str, new: str) -> tuple[list[Chunk], list[Chunk]]:
    left: list[Chunk] = []
    right: list[Chunk] = []
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", "".join(a[i1:i2])))
            right.append(("same", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("added", "".join(b[j1:j2])))
    return left, right


def compare_text(label: str, old: str, new: str) -> FieldComparison:
    """``old`` and ``new`` as two columns of chunks, changed words marked."""
    left: list[Chunk] = []
    right: list[Chunk] = []
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", "".join(a[i1:i2])))
            right.append(("same", "".join(b[j1:j2])))
        else:
            words_left, words_right = _word_chunks("".join(a[i1:i2]), "".join(b[j1:j2]))
            left += words_left
            right += words_right
    return FieldComparison(label, tuple(left), tuple(right))


def compare_revisions(old: Revision, new: Revision) -> RevisionComparison:
    """What changed from ``old`` to ``new``: words, tags, and files by name."""
    old_tags = {tag.name for tag in old.tags.all()}
    new_tags = {tag.name for tag in new.tags.all()}
    old_files = {asset.original_name for asset in old.assets.all()}
    new_files = {asset.original_name for asset in new.assets.all()}
    return RevisionComparison(
        old=old,
        new=new,
        fields=(
            compare_text("Title", old.title, new.title),
            compare_text("Summary", old.summary, new.summary),
            compare_text("Body", old.body, new.body),
        ),
        tags_added=tuple(sorted(new_tags - old_tags)),
        tags_removed=tuple(sorted(old_tags - new_tags)),
        assets_added=tuple(sorted(new_files - old_files)),
        assets_removed=tuple(sorted(old_files - new_files)),
    )
