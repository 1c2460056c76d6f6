#!/bin/sh
# The firmware's dependencies, from Debian at build time: libsodium's source
# package (apt-get source, through a source list this script writes from the
# machine's own Debian entries, so the system's apt state is not touched),
# built for arm-none-eabi, and the string functions of Debian's newlib.
#
#   examples/firmware/deps.sh DIR CPU-FLAGS...
#
# leaves DIR/sodium/{include,lib/libsodium.a} and DIR/libnewlib-string.a,
# and the log of every step in DIR/deps.log. Runs as root or not.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR CPU-FLAGS..." >&2; exit 2; }
DIR=$1
shift
CPU="$*"
CC=arm-none-eabi-gcc
# a make or a build that called us must not leak its settings into libsodium's
unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS LDFLAGS LIBS
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LOG=$DIR/deps.log
: >"$LOG"
fail() {
	echo "firmware: $*; the log is $LOG" >&2
	exit 1
}
for t in $CC arm-none-eabi-ar arm-none-eabi-nm apt-get dpkg-source autoreconf libtoolize make; do
	command -v "$t" >/dev/null ||
		fail "$t is missing (as root: make deps, or apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi dpkg-dev autoconf automake libtool)"
done

# ---- newlib: the string functions, and nothing else of the C library ---------
# Linking the image against these alone (not -lc) means that a heap or stdio
# call anywhere in the code kept in the image fails the link.
libc=$($CC $CPU -print-file-name=libc.a)
[ -f "$libc" ] || fail "no newlib for $CPU (apt-get install libnewlib-arm-none-eabi)"
rm -rf "$DIR/newlib" && mkdir -p "$DIR/newlib"
members=
for sym in memcpy memmove memset memcmp memchr strlen strnlen strcmp explicit_bzero bzero; do
	m=$(arm-none-eabi-nm -A --defined-only "$libc" 2>/dev/null |
		awk -v s="$sym" '$NF == s && ($(NF-1) == "T" || $(NF-1) == "W") { split($1, a, ":"); print a[2]; exit }')
	[ -n "$m" ] || fail "newlib's libc.a defines no $sym"
	case " $members " in *" $m "*) ;; *) members="$members $m" ;; esac
done
(cd "$DIR/newlib" && arm-none-eabi-ar x "$libc" $members) >>"$LOG" 2>&1 || fail "cannot extract$members"
rm -f "$DIR/libnewlib-string.a"
(cd "$DIR/newlib" && arm-none-eabi-ar rcs "$DIR/libnewlib-string.a" $members) || fail "ar"

# ---- libsodium from Debian's source package -------------------------------
STAMP=$DIR/sodium/built
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CPU" ]; then
	touch "$STAMP"
	echo "firmware: libsodium $(ls -d "$DIR"/src/libsodium-*/ | sed 's|.*/libsodium-||; s|/$||') for $CPU is built ($DIR/sodium)"
	exit 0
fi
APT=$DIR/apt
rm -rf "$APT" "$DIR/src" "$DIR/sodium"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d" "$DIR/src"
# deb-src entries for the machine's own Debian release, from its deb entries
. /etc/os-release
code=${VERSION_CODENAME:-}
[ -n "$code" ] || fail "/etc/os-release names no release"
: >"$APT/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	awk -v c="$code" '$1 == "deb" { for (i = 2; i <= NF && $i !~ /:\/\//; i++) ;
		if ($(i+1) == c || index($(i+1), c "-") == 1) { $1 = "deb-src"; print } }' "$f" >>"$APT/sources.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk -v c="$code" 'BEGIN { RS = ""; ORS = "\n\n" }
		/(^|\n)Types:[^\n]*deb([ \n]|$)/ && $0 ~ ("(^|\n)Suites:[^\n]*[ ]" c "([ -]|\n|$)") && $0 !~ /(^|\n)Enabled: *no/ {
			gsub(/(^|\n)#[^\n]*/, ""); sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" \
		>"$APT/sources.list.d/$(basename "$f")"
done
[ -s "$APT/sources.list" ] || [ -n "$(cat "$APT"/sources.list.d/*.sources 2>/dev/null)" ] ||
	fail "no Debian '$code' entry in /etc/apt/sources.list* to take the source package from"
set -- -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts="$APT/sources.list.d" \
	-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" -o Debug::NoLocking=1
[ "$(id -u)" = 0 ] && set -- "$@" -o APT::Sandbox::User=root
echo "firmware: fetching Debian's libsodium source package (apt-get source)"
apt-get "$@" -q update >>"$LOG" 2>&1 || fail "apt-get update of the source lists failed"
(cd "$DIR/src" && apt-get "$@" -q source libsodium) >>"$LOG" 2>&1 ||
	fail "apt-get source libsodium failed"
src=$(ls -d "$DIR"/src/libsodium-*/ 2>/dev/null | head -1)
[ -n "$src" ] || fail "apt-get source left no libsodium directory"
ver=$(basename "$src" | sed 's/^libsodium-//')
echo "firmware: building libsodium $ver for arm-none-eabi ($CPU; a few minutes)"
# Debian builds it with dh-autoreconf too: the tarball has no configure.
# Not --enable-minimal: that drops crypto_core_ed25519_is_valid_point; the
# image's link keeps only what the agent calls. _FORTIFY_SOURCE would make
# newlib's headers call checking functions the image does not link.
(cd "$src" && autoreconf -fi &&
	./configure --host=arm-none-eabi --prefix="$DIR/sodium" --disable-shared --enable-static \
		--disable-ssp --disable-pie --disable-asm --without-pthreads CC=$CC \
		CPPFLAGS=-D_FORTIFY_SOURCE=0 CFLAGS="$CPU -Os -g -ffunction-sections -fdata-sections" \
		LDFLAGS=--specs=nosys.specs &&
	make -j"$(nproc 2>/dev/null || echo 2)" -C src/libsodium install) >>"$LOG" 2>&1 ||
	fail "building libsodium for arm-none-eabi failed"
echo "$CPU" >"$STAMP"
echo "firmware: libsodium $ver built ($DIR/sodium)"
