#!/bin/sh
# Creates the trial's secrets for compose.yaml in deploy/secrets/, never
# committed: the store's key, PostgreSQL's password and the gateway's API key.
# The directory is 0700 (no other host user gets in); the files are 0644
# because compose mounts them with their host mode and the containers'
# users (postgres, mcpauth) are not the host's. An existing file is kept, so
# running this again changes nothing.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
random() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }
for name in mcpauth_store_key postgres_password gateway_api_key; do
  if [ ! -e "secrets/$name" ]; then
    (umask 077 && random >"secrets/$name")
    chmod 644 "secrets/$name"
  fi
done
echo "deploy/secrets/: mcpauth_store_key postgres_password gateway_api_key"
