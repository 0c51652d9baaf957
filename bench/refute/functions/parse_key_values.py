"""Parse "k1=v1;k2=v2" into a dict (segments without "=" are skipped, the value runs from the
first "=" to the end of the segment, later keys win); the candidate unpacks
segment.split("=") into two names and raises ValueError on a value that contains "="."""

BUG_CLASS = "crash"
EXPECTED_KIND = "crash"
KNOWN_FAILING_INPUT = ("a=1;expr=x=2",)
COMPARE = "exact"


def reference(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for segment in text.split(";"):
        key, sep, value = segment.partition("=")
        if sep:
            out[key] = value
    return out


def candidate(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for segment in text.split(";"):
        if "=" not in segment:
            continue
        key, value = segment.split("=")
        out[key] = value
    return out
