#!/bin/sh
# Installs the sona binary for this machine from a release:
#   curl -fsSL https://github.com/sona-speech/sona/releases/latest/download/install.sh | sh
#   sh install.sh [--prefix DIR]        (default ~/.local: installs ~/.local/bin/sona)
# It picks sona-<os>-<arch> for `uname -sm`, downloads it and SHA256SUMS from $SONA_DOWNLOAD_URL
# (default: the project's latest release, a placeholder until the project has a public home),
# checks the checksum, and only then moves the binary into place in one rename. On any failure
# nothing is installed and its temporary files are removed. POSIX sh; checked with shellcheck.
set -eu

DEFAULT_URL="https://github.com/sona-speech/sona/releases/latest/download"
base_url="${SONA_DOWNLOAD_URL:-$DEFAULT_URL}"
prefix="${HOME:-}/.local"
tmp=""
staged=""

say() { printf 'sona-install: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
usage() {
  cat <<'EOF'
Usage: install.sh [--prefix DIR]

Installs sona into DIR/bin (default ~/.local/bin) from $SONA_DOWNLOAD_URL
(default: the project's latest release), after checking it against SHA256SUMS.

  curl -fsSL <release-url>/install.sh | sh
  curl -fsSL <release-url>/install.sh | sh -s -- --prefix /usr/local
  SONA_DOWNLOAD_URL=http://127.0.0.1:8000 sh install.sh --prefix /tmp/sona
EOF
}

cleanup() {
  [ -n "$staged" ] && rm -f "$staged"
  [ -n "$tmp" ] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      if [ $# -lt 2 ] || [ -z "$2" ]; then say "--prefix needs a directory"; usage >&2; exit 2; fi
      prefix="$2"
      shift 2
      ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) say "unknown argument: $1"; usage >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || die "HOME is not set: give --prefix DIR"

# ---- which artifact ----------------------------------------------------------------------------
os="$(uname -s)"
machine="$(uname -m)"
case "$os" in
  Linux)
    case "$machine" in
      x86_64 | amd64) artifact="sona-linux-x64" ;;
      aarch64 | arm64) artifact="sona-linux-arm64" ;;
      *) die "there is no sona build for Linux $machine (there are builds for Linux x86_64 and aarch64); to build one from source see docs/PACKAGING.md" ;;
    esac
    ;;
  Darwin) die "there is no macOS build of sona yet (Darwin $machine); docs/PACKAGING.md says what one needs" ;;
  MINGW* | MSYS* | CYGWIN* | Windows*) die "there is no Windows build of sona yet ($os $machine); docs/PACKAGING.md says what one needs" ;;
  *) die "there is no sona build for $os $machine (there are builds for Linux x86_64 and aarch64)" ;;
esac

# ---- tools -------------------------------------------------------------------------------------
if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  die "neither curl nor wget is installed: install one of them and rerun"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  die "neither sha256sum nor shasum is installed: cannot check the download"
fi

# ---- download and check ------------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sona-install.XXXXXX")"
base_url="${base_url%/}"
say "downloading $artifact from $base_url"
fetch "$base_url/SHA256SUMS" "$tmp/SHA256SUMS" || die "cannot download $base_url/SHA256SUMS"
expected="$(awk -v name="$artifact" '$2 == name || $2 == "*" name { print $1; exit }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || die "SHA256SUMS at $base_url does not list $artifact"
fetch "$base_url/$artifact" "$tmp/$artifact" || die "cannot download $base_url/$artifact"
actual="$(sha256 "$tmp/$artifact")"
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $artifact (expected $expected, got $actual): nothing was installed"
fi

# ---- install (one rename, so a running sona is never half-overwritten) --------------------------
bindir="$prefix/bin"
mkdir -p "$bindir" || die "cannot create $bindir"
staged="$bindir/.sona.install.$$"
cp "$tmp/$artifact" "$staged" || die "cannot write into $bindir"
chmod 755 "$staged"
mv -f "$staged" "$bindir/sona" || die "cannot move sona into $bindir"
staged=""
say "installed $artifact as $bindir/sona"
case ":${PATH:-}:" in
  *":$bindir:"*) ;;
  *) say "$bindir is not on PATH: add it, e.g. export PATH=\"$bindir:\$PATH\"" ;;
esac
