/* SPDX-License-Identifier: GPL-2.0 */
/* The commands of the tcptriage binary (one file each). */
#ifndef __TT_COMMANDS_H
#define __TT_COMMANDS_H

int cmd_top(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

#endif /* __TT_COMMANDS_H */
