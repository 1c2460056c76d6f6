/* consign: the one CLI; dispatches to a command family. */
#include "cmd.h"

#include <string.h>

#define CONSIGN_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} cmds[] = {
	{"keygen", cmd_keygen, "make a key pair (custodian, station, office)"},
	{"policy", cmd_policy, "draft a custodian policy (create)"},
	{"order", cmd_order, "draft a batch order (create)"},
	{"sign", cmd_sign, "check an artifact and add one signature"},
	{"merge", cmd_merge, "combine copies signed in parallel"},
	{"verify", cmd_verify, "verify any artifact"},
	{"inspect", cmd_inspect, "show what an artifact says"},
	{"release", cmd_release, "draft the release of a verified batch (create)"},
	{"ledger", cmd_ledger, "the office's memory of releases (show, add, rebuild, ...)"},
	{"export", cmd_export, "the cloud's import file from a verified release"},
	{"receipt", cmd_receipt, "tell the factory which records were accepted"},
	{"station", cmd_station, "factory: provision devices, seal the batch (collect, seal)"},
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: consign COMMAND [OPTIONS] ...\n\ncommands:\n");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'consign COMMAND --help' for each. Exit codes: 0 accepted, 1 rejected,\n"
		   "2 usage, 3 malformed input or I/O error.\n");
	return f == stderr ? CS_USAGE : CS_OK;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (cs_crypto_init() != 0)
		return cmd_fail(CS_MALFORMED, "system", NULL, "cannot initialise libsodium");
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		/* consign help sign == consign sign --help */
		char *h[] = {argv[2], "--help", NULL};

		for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
			if (strcmp(argv[2], cmds[i].name) == 0)
				return cmds[i].fn(2, h);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2))
		return usage(stdout);
	if (strcmp(argv[1], "--version") == 0) {
		printf("consign %s\n", CONSIGN_VERSION);
		return CS_OK;
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	cmd_fail(CS_USAGE, "usage", NULL, "unknown command '%s'",
	    strcmp(argv[1], "help") == 0 && argc > 2 ? argv[2] : argv[1]);
	fputs("Try 'consign --help'.\n", stderr);
	return CS_USAGE;
}
