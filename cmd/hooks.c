/* Weak fallbacks for the zip (batch, release) handlers, overridden by the
 * office side's definitions once they are linked in. */
#include "cmd.h"

__attribute__((weak)) int
cmd_sign_zip(const struct sign_opts *o)
{
	return cmd_fail(CS_USAGE, "%s: zip artifacts are not supported by this build", o->file);
}

__attribute__((weak)) int
cmd_verify_zip(int argc, char **argv)
{
	(void)argc;
	return cmd_fail(CS_USAGE, "%s: zip artifacts are not supported by this build",
	    argv[argc - 1]);
}

__attribute__((weak)) int
cmd_inspect_zip(int argc, char **argv)
{
	return cmd_verify_zip(argc, argv);
}

__attribute__((weak)) int
cmd_merge_zip(const char *out, int nfiles, char **files)
{
	(void)out;
	(void)nfiles;
	return cmd_fail(CS_USAGE, "%s: zip artifacts are not supported by this build", files[0]);
}
