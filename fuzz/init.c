/* fuzz/init.c — LLVMFuzzerInitialize for every harness: silences kefu's log (common/log.h),
 * which would otherwise print a line for many refused inputs and slow the fuzzer down to
 * the speed of stderr.  Runs once, on libFuzzer's thread, before the first input.
 */
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cm_log_level_current = -1;   /* below CM_LOG_ERR: nothing is printed */
	return 0;
}
