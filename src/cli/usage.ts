// What `--help` prints, and the usage shown with a command-line error.
declare const BATON_VERSION: string;

export const VERSION = typeof BATON_VERSION === 'string' ? BATON_VERSION : 'dev';

export const USAGE = `baton ${VERSION}: a container init for Node images
Usage: node init.js [OPTIONS] [--] COMMAND [ARG...] | --version

Runs COMMAND as its child: forwards signals to it, reaps zombies, exits with its code.

Options:
  --version      Show the version and exit.
  -h, --help     Show this help and exit.
  -s             Register as a process subreaper (when not PID 1).
  -p SIGNAL      Send SIGNAL to the init when its parent dies, e.g. "-p SIGKILL".
  -v             More verbose output; repeat up to 3 times.
  -w             Warn each time a zombie other than the child is reaped.
  -g             Send signals to the child's process group.
  -e EXIT_CODE   Report EXIT_CODE (0 to 255) as 0; may be repeated.
  -l             Show the license and exit.

Environment:
  TINI_SUBREAPER           As -s, when set.
  TINI_KILL_PROCESS_GROUP  As -g, when set.
  TINI_VERBOSITY           The verbosity level (default 1); overrides -v.
  BATON_LOG_LEVEL          The log level by name (trace ... fatal, silent); overrides both.
  BATON_LOG_FORMAT         json (default) or pretty.
`;

export const LICENSE = `baton is released under the MIT License.
Copyright (c) 2026 the baton authors.
It bundles execa, pino, envalid (MIT) and koffi (MIT).
`;
