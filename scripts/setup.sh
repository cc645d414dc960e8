#!/usr/bin/env bash
# Installs Gongkai and its dependencies into the current Python (use a venv if you prefer one).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# pyenv puts a bash shim named `gongkai` first on PATH; tools that read the command's interpreter from its
# first line (e.g. the contract check) need the real script, so link it where PATH finds it.
bin_dir=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
shim=$(command -v gongkai || true)
if [[ -n $shim ]] && head -1 "$shim" | grep -q bash && [[ -x $bin_dir/gongkai ]] && [[ -w /usr/local/bin ]]; then
  ln -sf "$bin_dir/gongkai" /usr/local/bin/gongkai
  rm -f "$shim"
  hash -r
fi
