# shellcheck shell=bash
# Shared by setup.sh (.venv) and test.sh (.venv-core219): find a Python of one minor version and
# keep a virtualenv in step with a pinned requirements file. Source it; it defines functions only.

# find_python MAJOR.MINOR ENV_VAR: the path of a Python MAJOR.MINOR: $ENV_VAR when set, else
# pyenv's versions/MAJOR.MINOR*, else pythonMAJOR.MINOR on PATH.
find_python() {
  local want="$1" override="${!2:-}"
  if [ -n "$override" ]; then echo "$override"; return; fi
  local pyroot="${PYENV_ROOT:-$HOME/.pyenv}" cand
  for cand in "$pyroot"/versions/"$want"*/bin/python"$want" python"$want"; do
    # pyenv shims exist for versions that are not selected: check the binary really runs.
    if "$cand" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" >/dev/null 2>&1; then
      echo "$cand"; return
    fi
  done
  echo "error: Python $want not found; install it (pyenv install $want) or set $2" >&2
  return 1
}

# ensure_venv DIR MAJOR.MINOR ENV_VAR LOCK_FILE [MORE_HASHED_FILES...]: DIR holds a virtualenv
# with LOCK_FILE installed. A stamp of the files' hash makes a second call do nothing.
ensure_venv() {
  local dir="$1" version="$2" env_var="$3" lock="$4" want py
  shift 3
  want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  if [ -f "$dir/.poa-stamp" ] && [ "$(cat "$dir/.poa-stamp")" = "$want" ]; then return; fi
  py="$(find_python "$version" "$env_var")"
  echo "setup: installing $lock into $(basename "$dir") (Python $version)" >&2
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
  "$dir/bin/python" -m pip check
  echo "$want" > "$dir/.poa-stamp"
}
