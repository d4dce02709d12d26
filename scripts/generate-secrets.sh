#!/usr/bin/env bash
# Generates the token signing key (docs/security.md). The server refuses to start outside Development
# without one, so every deployment makes its own; nothing secret is ever committed.
#
#   scripts/generate-secrets.sh              create deploy/secrets/identity_signing_key if it is missing
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
    fi ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
