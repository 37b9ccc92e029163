#!/usr/bin/env bash
# Build a free-threaded CPython 3.13 (3.13t) from Debian trixie's source package and cache it
# outside the work tree, so later CI runs reuse it. Prints the interpreter's path on stdout.
# No system apt configuration is touched: the deb-src line lives in a private source list.
set -euo pipefail
prefix=${MPCORE_PY313T_PREFIX:-$HOME/.cache/mpcore/python3.13t}
py=$prefix/bin/python3.13t
if [ -x "$py" ] && "$py" -c 'import sys; assert not sys._is_gil_enabled()' 2>/dev/null; then
  echo "$py"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/src"
echo "deb-src http://deb.debian.org/debian trixie main" > "$work/trixie-src.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/trixie-src.list" -o "Dir::Etc::SourceParts=-"
          -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update >&2
( cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only python3.13 >&2 )
tar -C "$work/src" -xf "$(ls "$work"/src/python3.13_*.orig.tar.* | grep -v "\.asc$")"
cd "$work"/src/Python-3.13*/
./configure --disable-gil --prefix="$prefix" --without-ensurepip >&2
make -j"$(nproc)" >&2
make install >&2
"$py" -m ensurepip >&2
"$py" -m pip install -q --upgrade pip >&2 || true
echo "$py"
