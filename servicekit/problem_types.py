"""The kinds of problem a client can get: the `type` of each problem document, and its page.

Every `type` is `/problems/<slug>`, a page the gateway serves (servicekit/pages.py), or
`about:blank` for a status no page explains.
"""

from __future__ import annotations

from dataclasses import dataclass

# A relative reference (RFC 9457, 3.1.1): it resolves against the gateway that answered,
# where each page below is served (servicekit/pages.py).
PROBLEM_PAGES = "/problems/"


@dataclass(frozen=True)
class ProblemType:
    """One kind of error a client can get, and the page that explains it."""

    slug: str
    status: int
    title: str
    explanation: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in (
        ProblemType(
            "bad-request",
            400,
            "Bad request",
            (
                "The request cannot be understood as sent: a header, the query or the body is not "
                "what this route takes. The detail says which part."
            ),
        ),
        ProblemType(
            "malformed-json",
            400,
            "Malformed JSON",
            (
                "The body is not valid JSON (or holds text that cannot be stored, such as NUL "
                "characters). Send `Content-Type: application/json` and a JSON object."
            ),
        ),
        ProblemType(
            "unauthorized",
            401,
            "Unauthorized",
            (
                "The route needs a valid access token: send `Authorization: Bearer <accessToken>` "
                "from sign-up, sign-in or a refresh. Tokens end after 15 minutes, at sign-out, at "
                "a password change and when the account is deleted."
            ),
        ),
        ProblemType(
            "forbidden",
            403,
            "Forbidden",
            (
                "The token is valid, but this account may not do this (for example changing "
                "another user's profile)."
            ),
        ),
        ProblemType(
            "not-found",
            404,
            "Not found",
            (
                "Nothing is here for this account: the path is unknown, the id does not exist, or "
                "the resource belongs to someone else (which is never revealed)."
            ),
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "Method not allowed",
            (
                "The path exists but not with this method; the `Allow` header lists the methods "
                "it takes."
            ),
        ),
        ProblemType(
            "conflict",
            409,
            "Conflict",
            (
                "The request clashes with the current state: the email is taken, the title is "
                "already in the list, you are already friends, or the request was already made."
            ),
        ),
        ProblemType(
            "precondition-failed",
            412,
            "Precondition failed",
            (
                "The `If-Match` of this write names a version the resource no longer has: "
                "someone changed it since you read it, and nothing was changed now. Read it "
                "again (its `ETag`, also given as `currentEtag`), merge, and retry with the "
                "new tag."
            ),
        ),
        ProblemType(
            "payload-too-large",
            413,
            "Payload too large",
            (
                "The body is over the 1 MiB limit; the gateway refuses it before any service "
                "reads it."
            ),
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            (
                "The body is in a format this route does not take; send JSON with `Content-Type: "
                "application/json`."
            ),
        ),
        ProblemType(
            "validation-failed",
            422,
            "Validation failed",
            (
                "The JSON is well formed but some fields are not acceptable. `errors` maps each "
                "field to its messages, for example "
                '`{"name": ["Shorter than minimum length 1."]}`; unknown fields are refused too.'
            ),
        ),
        ProblemType(
            "too-many-requests",
            429,
            "Too many requests",
            (
                "This client sent more than its limit. Wait the seconds `Retry-After` gives; "
                "`RateLimit-Policy` and `RateLimit` describe the limit and what is left."
            ),
        ),
        ProblemType(
            "server-error",  # not internal-...: the gateway hides every path with /internal
            500,
            "Internal server error",
            (
                "The service failed unexpectedly; nothing about it is shown. Retry later; the "
                "`X-Request-Id` of the answer identifies it in the logs."
            ),
        ),
        ProblemType(
            "bad-gateway",
            502,
            "Bad gateway",
            ("The gateway reached no answer from the service behind the path; retry shortly."),
        ),
        ProblemType(
            "service-unavailable",
            503,
            "Service unavailable",
            (
                "A service or a database this request needs is down or has no healthy instance. "
                "Retry after `Retry-After` seconds where given; reads that can do without a peer "
                'answer with `"degraded": true` instead.'
            ),
        ),
        ProblemType(
            "gateway-timeout",
            504,
            "Gateway timeout",
            ("The service behind the path did not answer in time; retry shortly."),
        ),
    )
}
_BY_STATUS = {t.status: t for t in reversed(PROBLEM_TYPES.values())}


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def problem_type(status: int, title: str) -> str:
    """The `type` URI of a problem: its title's page, else its status's, else about:blank."""
    found = PROBLEM_TYPES.get(_slug(title)) or _BY_STATUS.get(status)
    return PROBLEM_PAGES + found.slug if found else "about:blank"
