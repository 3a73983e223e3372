#!/bin/sh
# Runs tini's own test suite (test/run_inner_tests.py of Debian's tini source package)
# against the built dist/init.js, through a wrapper named `tini`. Needs root, apt-get with
# access to deb.debian.org, gcc, and the Debian packages python3-psutil and python3-prctl
# (installed when missing). Not part of `npm test`: it takes a few minutes and the network.
#
#   sh scripts/tini-suite.sh            the unmodified suite (stops at its first failure)
#   sh scripts/tini-suite.sh --baton    with the log wording baton uses, and without the
#                                       signal-configuration assertions (impossible in Node;
#                                       see the README), so that every other test runs
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ -f "$ROOT/dist/init.js" ] || { echo "build first: npm run build" >&2; exit 1; }

# Debian's source package, with a sources list of our own (the system's is left alone).
mkdir -p "$WORK/apt/lists/partial" "$WORK/src"
echo 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main' >"$WORK/apt/sources.list"
APT="-o Dir::Etc::SourceList=$WORK/apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$WORK/apt/lists"
# shellcheck disable=SC2086
apt-get $APT -qq update
# shellcheck disable=SC2086
(cd "$WORK/src" && apt-get $APT -qq source --download-only tini 2>/dev/null && tar xzf tini_*.orig.tar.gz)
SRC=$(echo "$WORK"/src/tini-*/)

/usr/bin/python3 -c 'import psutil, prctl' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-psutil python3-prctl >/dev/null

# The build directory the suite expects: `tini` (baton) and sigconf-test.
mkdir -p "$WORK/build" "$WORK/bin" "$WORK/py"
printf '#!/bin/sh\nexec node "%s/dist/init.js" "$@"\n' "$ROOT" >"$WORK/build/tini"
chmod +x "$WORK/build/tini"
gcc -o "$WORK/build/sigconf-test" "$SRC/test/sigconf/sigconf-test.c"
# The suite's scripts call `python` and `python3` through env: Debian's, which has psutil and prctl.
ln -s /usr/bin/python3 "$WORK/bin/python"
ln -s /usr/bin/python3 "$WORK/bin/python3"
# The `bitmap` package the suite imports is not in Debian: the two calls it makes.
cat >"$WORK/py/bitmap.py" <<'EOF'
class BitMap:
    def __init__(self, bits):
        self.bits = bits

    @classmethod
    def fromstring(cls, text):
        return cls([i for i, c in enumerate(reversed(text)) if c == "1"])

    def nonzero(self):
        return self.bits
EOF

SUITE="$SRC/test/run_inner_tests.py"
if [ "${1:-}" = "--baton" ]; then
  SUITE="$SRC/test/run_inner_tests_baton.py"
  sed -e 's/"Reaped zombie process with pid="/"reaped zombie process with pid="/' \
      -e "s/\"zombie reaping won't work\"/\"zombie reaping will not work\"/" \
      -e 's/    for signal_set_name, signals_to_test_for in \[$/    for signal_set_name, signals_to_test_for in [] if True else [/' \
      "$SRC/test/run_inner_tests.py" >"$SUITE"
fi
env PATH="$WORK/bin:/usr/bin:/bin:/usr/sbin:/sbin" PYTHONPATH="$WORK/py" SOURCE_DIR="$SRC" BUILD_DIR="$WORK/build" FORCE_SUBREAPER=1 \
  /usr/bin/python3 "$SUITE"
