// What `--help` prints, and the usage shown with a command-line error. README.md's flag
// table says the same (test/unit/cli/usage.test.ts holds them together).
declare const BATON_VERSION: string;

export const VERSION = typeof BATON_VERSION === 'string' ? BATON_VERSION : 'dev';

export const USAGE = `baton ${VERSION}: a container init for Node images
Usage: node init.js [OPTIONS] [--] COMMAND [ARG...]   single-command mode
       node init.js [-p SIGNAL] [-w]                  supervisor mode
       node init.js --check | --status [--json] | --health | --live
       node init.js --reload [--json] [SERVICE...] | --signal SIGNAL SERVICE[.N]...
       node init.js --help | --version | -l

Single-command mode runs COMMAND as its child, as tini does: forwards signals to it,
reaps zombies, exits with its code. Options stop at the first word that is not one,
so -- is optional; -- with no COMMAND is an error.
Supervisor mode (neither COMMAND nor --) runs the services declared in the environment,
one per BATON_<NAME>_COMMAND variable: restarts them, stops them on SIGTERM, reloads
them blue-green on SIGHUP. The queries ask the running init through its control socket.

Options:
  -h, --help                        Show this help and exit.
  --version                         Show the version and exit.
  -l, --license                     Show the license and exit.
  -s, --subreaper                   Register as a process subreaper (when not PID 1).
  -p, --parent-death-signal SIGNAL  Send SIGNAL to the init when its parent dies (-p SIGKILL).
  -v, --verbose                     More verbose output; repeat up to 3 times.
  -w, --warn                        Warn each time a zombie other than the child is reaped.
  -g, --group                       Send signals to the child's process group.
  -e, --remap-exit EXIT_CODE        Report EXIT_CODE (0 to 255) as 0; may be repeated.
  In supervisor mode -g and -e are refused, and -s and -v change nothing: it registers
  as a subreaper by itself when not PID 1, and takes its log level from BATON_LOG_LEVEL.

Queries (no COMMAND):
  --check         Validate the BATON_* variables, print the plan, start nothing.
  --status        Show every generation and instance of the running init.
  --health        Say whether every instance of the live generation is ready
                  (a readiness probe).
  --live          Say whether the init answers and is not shutting down (a liveness
                  probe: it stays 0 while a reload has a service down).
  --reload        Reload the running init (only the SERVICEs named, if any: the others
                  keep their instances), wait, and print the outcome.
  --signal SIGNAL Send SIGNAL to every running instance of SERVICE, or to instance
                  SERVICE.N only (--signal SIGUSR2 web.2).
  --json          With --status or --reload: print JSON.

Environment:
  TINI_SUBREAPER           As -s, when set.
  TINI_KILL_PROCESS_GROUP  As -g, when set.
  TINI_VERBOSITY           The verbosity level (default 1); overrides -v.
  BATON_LOG_LEVEL          The log level by name (trace ... fatal, silent); overrides both.
  BATON_LOG_FORMAT         json (default) or pretty.
  BATON_*                  Supervisor mode's services and settings: see the README.

Exit codes:
  single-command mode  the command's code; 128+N when signal N killed it;
                       127 COMMAND not found; 126 COMMAND not executable
  supervisor mode      0 stopped, or every instance done; 1 the first start failed
                       (a failed oneshot: its code); 75 a crash loop; an ESSENTIAL
                       service's code when it ended; else the first failure's code
  1                    a bad command line (with this usage on stderr); -s or -p failed
  2                    bad configuration (also from --check), one line per error
  --health, --reload   1 not healthy, rolled back, an unknown SERVICE, or no init answers
  --signal             1 a SERVICE or SERVICE.N with no running instance; 3 no init answers
  --live               1 shutting down; 3 no init answers
  --status             3 no init answers
`;

export const LICENSE = `baton is released under the MIT License.
Copyright (c) 2026 the baton authors.
It bundles execa, pino, envalid (MIT) and koffi (MIT).
`;
