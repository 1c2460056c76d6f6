# The device agent and the wire code (lib/device/) use no heap: their object
# files call nothing but the allocation-free parts of the core, the crypto
# port (lib/crypto/port.h) and the C string functions (make firmware links
# them with no heap at all). (The unit test device_agent also counts every
# malloc/free during agent calls at run time.) The checker itself must see
# the heap where it is used (lib/station/).
. "$(dirname "$0")/../lib.sh"
ALLOW='^(cs_c[rw]_[a-z_]+|cs_cose_(ctype|decode|encode_sign1_raw|tbs_raw|tbs|verify|read)'
ALLOW="$ALLOW|cs_(buf_fixed|crc8|crc32|digest|keyid|sig_verify|pk_valid|err_clear|err_prefix|fail)"
ALLOW="$ALLOW|cs_(id_valid|text_valid|order_decode|policy_decode|record_encode)"
ALLOW="$ALLOW|cs_keyid_n"
ALLOW="$ALLOW|cs_wire_(msg_decode|msg_encode|scan|frame)"
ALLOW="$ALLOW|cs_port_(keypair|sign|verify|point_valid|sha256|memcmp|wipe)"
ALLOW="$ALLOW|mem(chr|cpy|move|set|cmp)|bcmp|str(cmp|len|nlen)|__[a-z0-9_]+_chk|__stack_chk_fail"
ALLOW="$ALLOW|__(asan|ubsan|sanitizer|tsan|msan)_[A-Za-z0-9_]+)\$"
HEAP='^(malloc|calloc|realloc|free|strdup|strndup|reallocarray|aligned_alloc|posix_memalign|sodium_malloc|sodium_allocarray|cs_buf_init|cs_buf_free|cs_buf_room|cs_buf_add|cs_quorum_count|cs_cose_sign1_create|cs_cose_sign_add|cs_cose_sign_draft|cs_read_file)$'

undef() { nm -u "$1" | awk '{print $NF}' | sort -u; }

objs=$(ls "$BUILD"/lib/device/*.o 2>/dev/null)
check "lib/device has object files to check" [ -n "$objs" ]
for o in $objs; do
	n=$(basename "$o")
	undef "$o" >"$T/u"
	check "$n calls nothing that may allocate" [ "$(grep -Ec "$HEAP" "$T/u")" -eq 0 ]
	grep -Ev "$ALLOW" "$T/u" >"$T/other"
	check "$n calls only allocation-free functions (others: $(tr '\n' ' ' <"$T/other"))" [ ! -s "$T/other" ]
done
# the checks can fail: the station's code does use the heap
undef "$BUILD/lib/station/collect.o" >"$T/u"
check "the check sees the heap where it is used (lib/station/collect.o)" grep -Eq "$HEAP" "$T/u"
undef "$BUILD/lib/util/buf.o" >"$T/u"
check "and sees cs_buf's growable buffers allocate (lib/util/buf.o)" grep -q '^malloc$' "$T/u"
