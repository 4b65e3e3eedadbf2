#!/usr/bin/env sh
# make sdk-check: serve a fresh demo database with bin/kasse on a free
# port, run the compiled docs/tools/sdk-storefront.mts against it with node,
# and stop the server whatever happens.
#   usage: sdk-check.sh KASSE_BINARY SCRIPT.mjs
set -eu

kasse=$1
script=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/kasse-sdk-check.XXXXXX")
pid=
stop() {
	status=$?
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ] && [ -s "$dir/serve.err" ]; then
		echo "sdk-check: the server's log (warnings and errors):" >&2
		tail -n 40 "$dir/serve.err" >&2
	fi
	rm -rf "$dir"
	exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

# The demo credentials are kept beside the SQLite file: serve prints them.
db="sqlite:$dir/kasse.db"
"$kasse" seed --demo --database-url "$db" >"$dir/seed.log" 2>&1 || { cat "$dir/seed.log" >&2; exit 1; }
KASSE_ADDR=127.0.0.1:0 DATABASE_URL="$db" KASSE_LOG_LEVEL=warn "$kasse" serve >"$dir/serve.log" 2>"$dir/serve.err" &
pid=$!

url=
i=0
while [ $i -lt 100 ]; do
	url=$(sed -n 's/^Kasse is serving on \([^ ]*\) .*/\1/p' "$dir/serve.log")
	if [ -n "$url" ] && node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url/readyz"; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "sdk-check: kasse serve exited" >&2
		cat "$dir/serve.log" >&2
		exit 1
	fi
	url=
	i=$((i + 1))
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "sdk-check: kasse serve was not ready within 10 s" >&2
	cat "$dir/serve.log" >&2
	exit 1
fi

integration=$(sed -n 's/^  integration  *client_id=\([^ ]*\) client_secret=\([^ ]*\).*/\1 \2/p' "$dir/serve.log")
client=$(sed -n 's/^  sales_channel  *client_id=\([^ ]*\).*/\1/p' "$dir/serve.log")
if [ -z "$integration" ] || [ -z "$client" ]; then
	echo "sdk-check: serve printed no demo applications" >&2
	exit 1
fi
echo "sdk-check: Kasse on $url"
KASSE_URL=$url KASSE_INTEGRATION_ID=${integration% *} KASSE_INTEGRATION_SECRET=${integration#* } KASSE_CLIENT_ID=$client node "$script"
