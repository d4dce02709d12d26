#!/usr/bin/env bash
# Copies the browser builds of the demo pages' dependencies into the server's wwwroot/vendor, so
# the server serves everything itself (no CDN, works offline). The output is committed; run this
# only to change a version: edit package.json, then `bash clients/web/vendor.sh` and commit
# package-lock.json together with the new wwwroot/vendor files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../src/GameBackend.Server/wwwroot/vendor"
cd "$here"
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --ignore-scripts
else
  npm install --no-audit --no-fund --ignore-scripts
fi

rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/signalr" "$out/msgpack"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE"
cp node_modules/@microsoft/signalr/dist/browser/signalr.min.js "$out/signalr/"
cp node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js "$out/signalr/"
cp node_modules/@microsoft/signalr/LICENSE* "$out/signalr/" 2>/dev/null || true
cp node_modules/@msgpack/msgpack/dist.umd/msgpack.min.js "$out/msgpack/"
cp node_modules/@msgpack/msgpack/LICENSE "$out/msgpack/LICENSE"
# The source maps are not shipped; drop the references so browsers do not ask for them.
sed -i '/^\/\/# sourceMappingURL=/d; s#//\# sourceMappingURL=[^ ]*$##' "$out"/*/*.js

{
  echo "Vendored by clients/web/vendor.sh from npm (see clients/web/package-lock.json):"
  for p in leaflet @microsoft/signalr @microsoft/signalr-protocol-msgpack @msgpack/msgpack; do
    echo "  $p $(node -p "require('./node_modules/$p/package.json').version")"
  done
} > "$out/VERSIONS.txt"
echo "vendored into $out:"
find "$out" -type f | sort | sed "s#$out/#  #"
