#!/bin/sh
# Checks a firmware image and its linker map file: no heap and no stdio (no
# malloc, free, _sbrk or printf-family symbol anywhere in the map, kept or
# discarded), no constructors, no C library start files, nothing from the C
# library but its string functions, no undefined symbol.
#
#   examples/firmware/check-map.sh IMAGE.elf IMAGE.map
set -u
[ $# -eq 2 ] || { echo "usage: $0 IMAGE.elf IMAGE.map" >&2; exit 2; }
elf=$1 map=$2
bad=0
no() {
	echo "check-map: $*" >&2
	bad=1
}
[ -s "$map" ] || { echo "check-map: no map file $map" >&2; exit 1; }

# whole symbol and section-name tokens (".text.malloc" gives "malloc";
# libsodium's own "sodium_malloc", discarded, is one token and allowed)
tokens=$(tr -c 'A-Za-z0-9_' '\n' <"$map" | sort -u)
for t in $tokens; do
	case "$t" in
	malloc | free | calloc | realloc | sbrk | _sbrk | _sbrk_r | _malloc_r | _free_r | \
	_calloc_r | _realloc_r | memalign | posix_memalign | __sinit | fopen | fwrite | fputs | \
	puts | putchar | _impure_ptr | *printf | *printf_r | *printf_chk | *printf_l)
		no "$map names $t" ;;
	esac
done
# the map says from which archive each member came, and why
archives=$(sed -n '/^Archive member included/,/^Discarded input sections/p' "$map" |
	grep -oE '[^ ()]+\.a\(' | sed 's/($//; s|.*/||' | sort -u | tr '\n' ' ')
for a in $archives; do
	case "$a" in
	libsodium.a | libnewlib-string.a | libgcc.a) ;;
	*) no "$map: members of $a are linked (only libsodium, newlib's string functions and libgcc may be)" ;;
	esac
done
for f in crt0.o crti.o crtn.o crtbegin.o crtend.o; do
	grep -q "$f" "$map" && no "$map: $f is linked (the image must be linked with -nostartfiles)"
done
# (an input section line under the output section; the script's own pattern
# line starts with " *(")
if awk '/^\.init_array/ { on = 1; next } on && /^\.[a-z]/ { on = 0 } on && /^ \.(preinit_array|init_array|ctors)/' "$map" | grep -q .; then
	no "$map: a constructor (.init_array) is linked"
fi
if [ -n "$(arm-none-eabi-nm -u "$elf")" ]; then
	no "$elf has undefined symbols: $(arm-none-eabi-nm -u "$elf" | tr '\n' ' ')"
fi
[ "$bad" -eq 0 ] || exit 1
echo "check-map: $(basename "$map"): no heap, no stdio, no constructors, no start files; archives: ${archives:-none}"
