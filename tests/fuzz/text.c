/* Fuzzes the display escapers with arbitrary bytes and buffer sizes: the
 * terminal form must be printable ASCII only, the JSON form must hold no raw
 * control byte or unescaped quote, the CSV form must never start a cell a
 * spreadsheet reads as a formula; all NUL-terminated inside their buffer. */
#include "fuzz.h"

#include "util/text.h"

#define FUZZ_TEXT_MAX 512

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[FUZZ_TEXT_MAX + 1], out[4 * FUZZ_TEXT_MAX + 8], *o;
	size_t cap, n, i;

	if (size < 1 || size - 1 > FUZZ_TEXT_MAX)
		return 0;
	cap = 1 + data[0] % sizeof out;
	n = size - 1;
	memcpy(s, data + 1, n);
	s[n] = '\0';

	memset(out, 0x7f, sizeof out);
	o = cs_escape(out, cap, s, n);
	FUZZ_REQUIRE(o == out && memchr(out, '\0', cap) != NULL);
	for (i = 0; out[i] != '\0'; i++)
		FUZZ_REQUIRE(out[i] >= 0x20 && out[i] <= 0x7e);

	memset(out, 0x7f, sizeof out);
	o = cs_json_escape(out, cap, s);
	FUZZ_REQUIRE(o == out && memchr(out, '\0', cap) != NULL);
	for (i = 0; out[i] != '\0'; i++) {
		FUZZ_REQUIRE(out[i] >= 0x20 && out[i] <= 0x7e);
		if (out[i] == '\\') {
			i++;
			FUZZ_REQUIRE(out[i] == '\\' || out[i] == '"' || out[i] == 'u');
		} else {
			FUZZ_REQUIRE(out[i] != '"');
		}
	}

	memset(out, 0x7f, sizeof out);
	o = cs_csv_cell(out, cap, s);
	FUZZ_REQUIRE(o == out && memchr(out, '\0', cap) != NULL);
	i = out[0] == '"' ? 1 : 0;
	FUZZ_REQUIRE(strchr("=+-@\t\r", out[i]) == NULL || out[i] == '\0');
	return 0;
}
