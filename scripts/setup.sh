#!/usr/bin/env bash
# Everything agentkit needs on a fresh Debian machine; safe to run again (it only adds
# what is missing). Called by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: bubblewrap is the sandbox, libseccomp2 builds its system-call filter,
# coq the proof checker.
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
/sbin/ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2 ' || missing+=(libseccomp2)
command -v coqc >/dev/null 2>&1 || missing+=(coq)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} from Debian" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: WARNING: ${missing[*]} missing and not installable here (needs root and apt-get);" \
      "tests that need them will skip" >&2
  fi
fi

# uv builds the workspace environment (.venv) from uv.lock.
if ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install -q uv 2>/dev/null || python3 -m pip install -q --break-system-packages uv
fi
python3 -m uv sync --locked --all-packages --quiet
