/* tools/kefu/cmd_summary.h — `kefu summarize` and `kefu eval-summary` (cmd_summary.c). */
#ifndef KEFU_TOOLS_CMD_SUMMARY_H
#define KEFU_TOOLS_CMD_SUMMARY_H

int cmd_summarize(int argc, char **argv);
int cmd_eval_summary(int argc, char **argv);

#endif
