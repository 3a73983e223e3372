// Every code the init exits with, as the README's exit-code table lists them
// (test/unit/pid1/exit-codes.test.ts holds the two to each other). The init's exit
// status is what PID 1 hands to the container runtime, and this floor is the bottom one:
// every floor imports these downward. No imports, so that any file can take them.

/** 0: supervisor mode: stopped by SIGTERM/SIGINT, or every instance exited 0 and none is to be restarted. */
export const EXIT_OK = 0;

/**
 * 1, whatever the reason; each reason has a name of its own, so that the code that exits
 * says why: EXIT_USAGE a bad command line (unknown flag, bad value, a flag of the wrong
 * mode, `--` with no COMMAND); EXIT_SETUP_FAILED `-s` or `-p` could not be set up;
 * EXIT_START_FAILED supervisor mode's first start failed (a oneshot that failed gives its
 * own code instead); EXIT_UNHEALTHY `--health`: not every instance
 * of the live generation is ready, or no init answers; EXIT_RELOAD_FAILED `--reload`: the
 * reload rolled back, or could not run, or named a service that is not declared;
 * EXIT_NOT_LIVE `--live`: the init is shutting down; EXIT_NOT_DELIVERED `--signal`: a
 * target named no running instance;
 * EXIT_UNEXPECTED_ERROR an error the init did not expect (a bug): its stack on stderr.
 */
export const [EXIT_USAGE, EXIT_SETUP_FAILED, EXIT_START_FAILED, EXIT_UNHEALTHY, EXIT_RELOAD_FAILED, EXIT_NOT_LIVE, EXIT_NOT_DELIVERED, EXIT_UNEXPECTED_ERROR] = [1, 1, 1, 1, 1, 1, 1, 1] as const;

/** 2: a configuration the init refuses to run, one line per error naming the variable. */
export const EXIT_BAD_CONFIG = 2;

/** 3: `--status`, `--live` or `--signal`: no init answers on the control socket (or, any query, it refused the request). */
export const EXIT_NO_INIT = 3;

/**
 * 75: supervisor mode: a service that is not ESSENTIAL restarted more than BATON_MAX_RESTARTS
 * times in a minute. sysexits.h's EX_TEMPFAIL, "try again later": the container's restart
 * policy should take over; and not 1, which an app's own exit so often is.
 */
export const EXIT_CRASH_LOOP = 75;

/** 126: single-command mode: COMMAND could not be executed (tini's rule, as a shell's). */
export const EXIT_NOT_EXECUTABLE = 126;
/** 127: single-command mode: COMMAND was not found. */
export const EXIT_NOT_FOUND = 127;

/** 128+N: a child killed by signal N. */
export const EXIT_SIGNAL_BASE = 128;
