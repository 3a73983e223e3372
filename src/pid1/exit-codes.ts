// Every code the init exits with, one name per reason, as the README's exit-code table lists
// them (test/unit/pid1/exit-codes.test.ts holds the two to each other). The init's exit
// status is what PID 1 hands to the container runtime, and this floor is the bottom one:
// every floor imports these downward. No imports, so that any file can take them.

/** Supervisor mode: stopped by SIGTERM/SIGINT, or every instance exited 0 and none is to be restarted. */
export const EXIT_OK = 0;

/** A bad command line (unknown flag, bad value, a flag of the wrong mode, `--` with no COMMAND). */
export const EXIT_USAGE = 1;
/** `-s` or `-p` could not be set up. */
export const EXIT_SETUP_FAILED = 1;
/** Supervisor mode: the first start failed. */
export const EXIT_START_FAILED = 1;
/** Supervisor mode: more than BATON_MAX_RESTARTS restarts in a minute. */
export const EXIT_CRASH_LOOP = 1;
/** `--health`: not every instance of the live generation is ready, or no init answers. */
export const EXIT_UNHEALTHY = 1;
/** `--reload`: the reload rolled back, or could not run. */
export const EXIT_RELOAD_FAILED = 1;
/** An error the init did not expect (a bug): its stack on stderr. */
export const EXIT_UNEXPECTED_ERROR = 1;

/** A configuration the init refuses to run, one line per error naming the variable. */
export const EXIT_BAD_CONFIG = 2;

/** `--status`: no init answers on the control socket (or it refused the request). */
export const EXIT_NO_INIT = 3;

/** Single-command mode: COMMAND could not be executed (tini's rule, as a shell's). */
export const EXIT_NOT_EXECUTABLE = 126;
/** Single-command mode: COMMAND was not found. */
export const EXIT_NOT_FOUND = 127;

/** A child killed by signal N is reported as 128+N. */
export const EXIT_SIGNAL_BASE = 128;
