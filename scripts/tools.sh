# Sourced by scripts/demo, scripts/test and .ci/run: the Python tools (moto server, cfn-lint,
# aws-sam-translator) in a virtual environment of the project's own, installed on first use.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/moto_server" ] || ! cmp -s "$ROOT/scripts/requirements.txt" "$VENV/requirements.txt"; then
  echo "installing Python tools into .venv (moto server, cfn-lint, aws-sam-translator)..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements.txt"
  cp "$ROOT/scripts/requirements.txt" "$VENV/requirements.txt"
fi
export PATH="$VENV/bin:$PATH"

# Debian packages the DNSSEC tests need: real NSD, unbound and BIND's signing tools. Installed
# when missing and this is root with apt-get (CI, a fresh machine); services are not started.
debian_packages() {
  local missing=()
  command -v nsd >/dev/null 2>&1 || missing+=(nsd)
  command -v unbound >/dev/null 2>&1 || missing+=(unbound)
  command -v dnssec-signzone >/dev/null 2>&1 || missing+=(bind9-utils)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} (Debian packages for the DNSSEC tests)..." >&2
    local guard=/usr/sbin/policy-rc.d made=""
    if [ ! -e "$guard" ]; then printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod +x "$guard" && made=1; fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -n "$made" ] && rm -f "$guard"
  else
    echo "missing ${missing[*]}: the DNSSEC tests need them (apt-get install ${missing[*]})" >&2
  fi
  return 0
}
