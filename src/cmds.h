/* SPDX-License-Identifier: GPL-2.0-only */
/* The entry point of every command; main.c dispatches argv to these. argv[0] is the command name. */
#ifndef AOD_CMDS_H
#define AOD_CMDS_H

int daemon_run_main(int argc, char **argv);	/* daemon.c */
int replay_main(int argc, char **argv);		/* replay.c */
int config_check_main(int argc, char **argv);	/* check_config.c */
int probe_main(int argc, char **argv);		/* probe.c */
int monitor_main(int argc, char **argv);	/* monitor.c */
int trace_main(int argc, char **argv);		/* trace.c */
int status_main(int argc, char **argv);		/* status.c */
int upload_copy_main(int argc, char **argv);	/* upload.c */

#endif /* AOD_CMDS_H */
