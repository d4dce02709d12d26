#!/usr/bin/env bash
# Generates the token signing key and the PostgreSQL role passwords (docs/security.md). The server
# refuses to start outside Development without a key, so every deployment makes its own; nothing
# secret is ever committed.
#
#   scripts/generate-secrets.sh              create deploy/secrets/identity_signing_key if it is missing, and the
#                                            PostgreSQL passwords for Compose (postgres_{superuser,owner,app}_password,
#                                            with pgpass files for the server's connection strings)
#   scripts/generate-secrets.sh --rotate     new key; the current one moves to identity_signing_key.previous
#                                            (pass it as Identity:PreviousSigningKeys:0 for one token lifetime)
#   scripts/generate-secrets.sh --print      print a fresh key and write nothing
#   scripts/generate-secrets.sh --kubernetes print a Secret manifest holding the key files (kubectl apply -f -)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=deploy/secrets
key_file=$dir/identity_signing_key

# 48 random bytes, base64: 64 characters, far above the 32-byte minimum.
new_key() { head -c 48 /dev/urandom | base64 -w0; }

# 24 random bytes as base64url: no ':' or backslash, so it fits a pgpass line as it is.
new_password() { head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# Compose's PostgreSQL roles (docs/security.md, finding 6): the superuser only the database container
# uses, the owner that runs migrations, and the least-privilege app role the server works as. Each
# password also as a pgpass file, which Npgsql reads through Passfile= in the connection string.
write_postgres_secrets() {
  mkdir -p "$dir"
  chmod 700 "$dir"
  local role file
  for role in superuser owner app; do
    file=$dir/postgres_${role}_password
    [[ -f $file ]] || (umask 022 && new_password >"$file")
  done
  (umask 022 && echo "*:*:*:gamebackend:$(cat "$dir/postgres_owner_password")" >"$dir/postgres_owner_pgpass")
  (umask 022 && echo "*:*:*:gamebackend_app:$(cat "$dir/postgres_app_password")" >"$dir/postgres_app_pgpass")
}

write_key() {
  mkdir -p "$dir"
  chmod 700 "$dir"
  # The folder keeps other host users out; the file itself stays world-readable because Compose
  # bind-mounts it as a secret with the host mode and the container runs as the `app` user.
  (umask 022 && new_key >"$1.tmp")
  mv "$1.tmp" "$1"
}

case "${1:-}" in
  --print) new_key; echo ;;
  --rotate)
    [[ -f $key_file ]] && mv "$key_file" "$key_file.previous"
    write_key "$key_file"
    echo "generate-secrets: new $key_file; the old key is in $key_file.previous — keep it in Identity:PreviousSigningKeys:0 for one token lifetime (Identity:TokenLifetime, default 1 day)" >&2 ;;
  --kubernetes)
    [[ -f $key_file ]] || write_key "$key_file"
    echo "apiVersion: v1"
    echo "kind: Secret"
    echo "metadata: { name: gamebackend-identity }"
    echo "type: Opaque"
    echo "data:"
    echo "  signing-key: $(base64 -w0 <"$key_file")"
    [[ -f $key_file.previous ]] && echo "  previous-signing-key: $(base64 -w0 <"$key_file.previous")"
    true ;;
  "")
    if [[ -f $key_file ]]; then
      echo "generate-secrets: $key_file exists; keeping it (use --rotate for a new one)" >&2
    else
      write_key "$key_file"
      echo "generate-secrets: wrote $key_file" >&2
    fi
    write_postgres_secrets ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
