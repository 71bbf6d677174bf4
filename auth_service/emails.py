"""The key an email address is compared by: one mailbox, one key, however it is typed.

`carol@ｅｘａｍｐｌｅ.ｃｏｍ`, `CAROL@example.com` and `carol@example.com` reach one
mailbox, so they must be one account: the local part is NFKC-normalised and
case-folded (fullwidth letters, ligatures and `ß` fold to what mail systems treat as
the same), the domain goes through IDNA (which applies the same folding and turns a
Unicode domain into its `xn--` form, as DNS sees it).
"""

from __future__ import annotations

import unicodedata


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def email_key(email: str) -> str:
    """The comparison key of an address (sign-up uniqueness and sign-in lookup)."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return _fold(email)
    folded_domain = _fold(domain).rstrip(".")
    try:
        folded_domain = folded_domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        # Not a valid IDNA name (sign-up refuses such addresses): folding alone still
        # gives a stable key, so a sign-in with it simply finds no account.
        pass
    return f"{_fold(local)}@{folded_domain}"
