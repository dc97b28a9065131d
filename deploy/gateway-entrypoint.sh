#!/bin/sh
# Compose gives secrets as files (/run/secrets/NAME), bind-mounted with the
# host file's owner and mode, which the store refuses for its key file (it
# must be 0600 and the service's own). So for each VAR below, VAR_SECRET names
# such a file, and its content becomes VAR for the one process this execs
# (its environment is readable by that user and root only). Nothing is
# printed.
set -eu
for name in MCPAUTH_KEY PGPASSWORD MCPAUTH_GATEWAY_KEY; do
  eval "file=\${${name}_SECRET:-}"
  if [ -n "$file" ]; then
    value=$(cat "$file")
    export "$name=$value"
    unset "${name}_SECRET"
  fi
done
exec "$@"
