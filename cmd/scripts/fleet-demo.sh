#!/bin/sh
# One controller of the README's fleet demo ("Fleet"): NAME and PORT.
# Writes /tmp/doord-demo/NAME/doord.toml (doord.example.toml, the
# simulated board, with PORT, its own data directory and a [fleet]
# section for the nats-server on 127.0.0.1:4222) and runs bin/doord on it.
# Run from the repository (make build first).
set -eu
name=$1 port=$2
dir=/tmp/doord-demo/$name
mkdir -p "$dir"
sed -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" -e "s|^data = .*|data = \"$dir/data\"|" \
  doord.example.toml > "$dir/doord.toml"
cat >> "$dir/doord.toml" <<TOML

[fleet]
url = "nats://127.0.0.1:4222"
site = "demo"
controller = "$name"
groups = ["demo"]
TOML
DOORD_ADMIN_PASSWORD="demo password" exec "${DOORD:-bin/doord}" serve --config "$dir/doord.toml"
