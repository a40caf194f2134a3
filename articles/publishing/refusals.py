"""What a refused service call says: one translation for every door that shows it.

Services refuse with ``PermissionDenied`` (may not) or ``ValidationError`` (cannot, and why, perhaps
per field). The admin's forms and messages and the commands' errors all word a refusal through
``refusal_message``, so the same refusal reads the same everywhere.
"""

from django.core.exceptions import PermissionDenied, ValidationError

Refusal = PermissionDenied | ValidationError
# For ``except REFUSALS as error``: what a service raises when it says no.
REFUSALS = (PermissionDenied, ValidationError)

NOT_PERMITTED = "You do not have permission to do that."


def refusal_message(error: Refusal) -> str:
    """The refusal as one line a person can act on (every message, in order)."""
    if isinstance(error, PermissionDenied):
        return str(error) or NOT_PERMITTED
    return " ".join(error.messages) or NOT_PERMITTED
