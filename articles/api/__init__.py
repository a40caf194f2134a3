"""The headless content API (``/api/v1/``) and its personal tokens, through the one access rule."""
