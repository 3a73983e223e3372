#!/bin/sh
# npm start: the built init in supervisor mode with the two examples, on this machine.
# Try, from another terminal: node dist/init.js --status ; kill -TERM <init pid>
cd "$(dirname "$0")/.." || exit 1
export BATON_WEB_COMMAND='["node", "examples/web.mjs"]'
export BATON_WEB_COUNT=2
export BATON_WEB_READY=notify
export BATON_WEB_LISTEN="127.0.0.1:${PORT:-8080}"
export BATON_JOBS_COMMAND='node examples/jobs.mjs'
export BATON_JOBS_READY=notify
export BATON_LOG_FORMAT="${BATON_LOG_FORMAT:-pretty}"
export BATON_OUTPUT="${BATON_OUTPUT:-prefix}"
echo "baton demo: web x2 on 127.0.0.1:${PORT:-8080} and jobs; Ctrl-C stops them gracefully"
exec node dist/init.js
