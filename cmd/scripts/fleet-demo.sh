#!/bin/sh
# One controller of the README's fleet demo ("Fleet"): NAME and PORT.
# Writes /tmp/doord-demo/NAME/doord.toml (doord.example.toml, the
# simulated board, with PORT, its own data directory and a [fleet]
# section for the nats-server on 127.0.0.1:4222) and runs bin/doord on it.
# Run from the repository (make build first). The demo's admin password
# is made once at random and kept in /tmp/doord-demo/password, so the
# two controllers share it and no password is written in the script.
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
pw=/tmp/doord-demo/password
if [ ! -s "$pw" ]; then # made once; ln does not replace one the other controller just made
  (umask 077 && head -c 18 /dev/urandom | base64 > "$pw.$$") && { ln "$pw.$$" "$pw" 2>/dev/null || :; }; rm -f "$pw.$$"
fi
DOORD_ADMIN_PASSWORD=$(cat "$pw") exec "${DOORD:-bin/doord}" serve --config "$dir/doord.toml"
