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
