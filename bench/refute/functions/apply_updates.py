"""Apply updates to a config: return the merged config and how many update entries actually
change something (a new key or a different value); the candidate merges into the argument
itself (merged is config), so by the time it counts, nothing looks changed."""

BUG_CLASS = "mutated_input"
EXPECTED_KIND = "wrong_output"
KNOWN_FAILING_INPUT = ({"a": 1}, {"a": 2, "b": 3})
COMPARE = "exact"


def reference(config: dict[str, int], updates: dict[str, int]) -> tuple[dict[str, int], int]:
    merged = dict(config)
    merged.update(updates)
    changed = sum(1 for key, value in updates.items() if key not in config or config[key] != value)
    return merged, changed


def candidate(config: dict[str, int], updates: dict[str, int]) -> tuple[dict[str, int], int]:
    merged = config
    for key, value in updates.items():
        merged[key] = value
    changed = sum(1 for key, value in updates.items() if config.get(key) != value)
    return merged, changed
