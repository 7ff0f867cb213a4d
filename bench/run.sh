#!/usr/bin/env bash
# Patchbay's benchmarks (issue 6): every figure measured side by side in one run, reported as
# a ratio. Prints a table and writes target/bench/report.json (raw samples: target/bench/raw.jsonl).
#
#   bash bench/run.sh            # everything (builds the release app once, ~10 min on 2 cores)
#   BENCH_ONLY=sync bash bench/run.sh        # only some figures (of: sync,size,startup,app,incremental,people,filter)
#   BENCH_ROUNDS=5 BENCH_WRK_SECONDS=4 ...   # rounds per client (medians), wrk duration
#   BENCH_NO_BUILD=1                         # use the release binaries already built
#
# Not part of the test command. Network: 127.0.0.1 only, bounded in count and time.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/bench"
RAW="$OUT/raw.jsonl"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
REL="$CARGO_TARGET_DIR/release"
ROUNDS="${BENCH_ROUNDS:-5}"
WRK_SECONDS="${BENCH_WRK_SECONDS:-4}"
ONLY="${BENCH_ONLY:-sync,size,startup,app,incremental,people,filter}"
RECORDS=100000

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }
mkdir -p "$OUT"
: >"$RAW"
emit() { echo "$1" >>"$RAW"; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- what the benchmarks need ------------------------------------------------------------
say "checking what the benchmarks need"
bash scripts/setup.sh
missing=()
for p in wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error)

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  say "building the sandbox and the bench driver (release)"
  cargo build --release --quiet -p patchbay-sandbox -p patchbay-bench
fi

# --- 1. sync throughput ------------------------------------------------------------------
start_sandbox() {
  local out="$OUT/sandbox.out"
  "$REL/patchbay-sandbox" --addr 127.0.0.1:0 --records "$RECORDS" --no-rate-limits \
    --auto-approve >"$out" 2>"$OUT/sandbox.err" &
  pids+=($!)
  SANDBOX_PID=$!
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$out" 2>/dev/null; then break; fi
    sleep 0.1
  done
  SANDBOX_URL="$(sed -n 's/^listening on //p' "$out" | head -1)"
  [ -n "$SANDBOX_URL" ] || { echo "the sandbox did not start: $(cat "$OUT/sandbox.err")" >&2; exit 1; }
}

# wrk over the pages of one collection, bodies never parsed; emits records/s.
wrk_limit() { # style provider path first step pages page_size threads connections token
  local style=$1 provider=$2 path=$3 first=$4 step=$5 pages=$6 size=$7 t=$8 c=$9 token=${10} round=${11}
  local line
  line="$(BENCH_PATH="$path" BENCH_FIRST="$first" BENCH_STEP="$step" BENCH_PAGES="$pages" \
    BENCH_TOKEN="$token" wrk -t"$t" -c"$c" -d"${WRK_SECONDS}s" -s bench/wrk-pages.lua "$SANDBOX_URL" |
    grep '^BENCH_RESULT')"
  local requests seconds non2xx errors
  requests="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")"
  seconds="$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")"
  non2xx="$(sed 's/.*non2xx=\([0-9]*\).*/\1/' <<<"$line")"
  errors="$(sed 's/.*errors=\([0-9]*\).*/\1/' <<<"$line")"
  emit "{\"figure\":\"sync\",\"style\":\"$style\",\"client\":\"wrk-c$c\",\"provider\":\"$provider\",\"round\":$round,\"requests\":$requests,\"records\":$((requests * size)),\"seconds\":$seconds,\"non2xx\":$non2xx,\"errors\":$errors}"
}

if want sync; then
  start_sandbox
  say "sync: $RECORDS records per resource from $SANDBOX_URL, $ROUNDS interleaved rounds"
  wc_token="$("$REL/patchbay-bench" token "$SANDBOX_URL" whatconverts)"
  cf_token="$("$REL/patchbay-bench" token "$SANDBOX_URL" clickfunnels)"
  cf_ws="$(curl -s -H "Authorization: Bearer $cf_token" "$SANDBOX_URL/clickfunnels/api/v2/me" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).teams[0].workspaces[0].id))')"
  for round in $(seq "$ROUNDS"); do
    for style in page_number cursor; do
      if [ "$style" = page_number ]; then
        provider=whatconverts resource=leads token=$wc_token
      else
        provider=clickfunnels resource=contacts token=$cf_token
      fi
      say "round $round/$ROUNDS, $style ($provider $resource)"
      # The sandbox's pid: the core's sync line also says what serving it cost the sandbox.
      line="$(BENCH_SANDBOX_PID=$SANDBOX_PID "$REL/patchbay-bench" sync "$SANDBOX_URL" "$provider" "$resource")"
      emit "{\"figure\":\"sync\",\"style\":\"$style\",\"round\":$round,${line#\{}"
      # 1b. The parse floor over the same pages (fetched once, then parsed single-threaded).
      line="$("$REL/patchbay-bench" floor "$SANDBOX_URL" "$provider" "$resource")"
      emit "{\"style\":\"$style\",\"round\":$round,${line#\{}"
      line="$(node bench/node/sync.mjs "$SANDBOX_URL" "$provider" "$token")"
      emit "{\"figure\":\"sync\",\"style\":\"$style\",\"round\":$round,${line#\{}"
      if [ "$style" = page_number ]; then
        path="/whatconverts/api/v1/leads?page_number=%d&leads_per_page=250"
        wrk_limit "$style" "$provider" "$path" 1 1 $((RECORDS / 250)) 250 1 1 "$token" "$round"
        wrk_limit "$style" "$provider" "$path" 1 1 $((RECORDS / 250)) 250 2 4 "$token" "$round"
      else
        # ClickFunnels contact ids are consecutive from 20000001, so `after` is computable.
        path="/clickfunnels/api/v2/workspaces/$cf_ws/contacts?limit=100&after=%d"
        wrk_limit "$style" "$provider" "$path" 20000000 100 $((RECORDS / 100)) 100 1 1 "$token" "$round"
        wrk_limit "$style" "$provider" "$path" 20000000 100 $((RECORDS / 100)) 100 2 4 "$token" "$round"
      fi
    done
  done
fi

# --- 7 and 8. incremental refresh vs full sync; throughput under documented limits ---------
# In-process (sandbox, core and cache in a temporary directory, 127.0.0.1 only); each prints
# JSON lines. About 2 min for 7 and 2 min for 8 (five providers, about 20 s each).
if want incremental; then
  say "incremental: full sync of $RECORDS records, a 1% change set, then a Pass::Auto refresh"
  "$REL/patchbay-bench" incremental "$RECORDS" >>"$RAW"
  say "limits: each provider's full sync under its documented limits, 80 ms latency"
  "$REL/patchbay-bench" limits >>"$RAW"
fi

# --- 9. People: resolution over five providers and one more page, against plain inserts --
# In-process (the sandbox's population as a library, caches in a temporary directory).
if want filter; then
  say "filter: a filter change to the table's count and first page over $RECORDS leads (p95 goal 50 ms)"
  "$REL/patchbay-bench" filter "$RECORDS" | tee -a "$RAW"
fi

if want people; then
  say "people: five providers x $RECORDS records stored plain and with people; one more page"
  "$REL/patchbay-bench" people "$RECORDS" | tee -a "$RAW"
fi

# --- 6. size (and the release app the window figures run) -------------------------------------------------------------------------------
if want size || want startup || want app; then
  if [ -z "${BENCH_APP:-}" ] && [ -z "${BENCH_NO_BUILD:-}" ]; then
    say "building the release app and its .deb (tauri build; the one release build of the app)"
    # beforeBuildCommand runs in the repository root, not in the first package.json found.
    if ! npm exec --yes --package=@tauri-apps/cli@2.12.5 -- tauri build --bundles deb --ci \
      --config "{\"build\":{\"beforeBuildCommand\":{\"script\":\"npm --prefix ui run build\",\"cwd\":\"$ROOT\"}}}"; then
      say "tauri build failed; building the binary alone"
      cargo build --release -p patchbay
    fi
  fi
  APP="${BENCH_APP:-$REL/patchbay}"
  deb="$(ls -t "$REL"/bundle/deb/*.deb 2>/dev/null | head -1 || true)"
  emit "{\"figure\":\"size\",\"what\":\"binary\",\"path\":\"$APP\",\"bytes\":$(stat -c %s "$APP")}"
  if [ -n "$deb" ]; then
    emit "{\"figure\":\"size\",\"what\":\"deb\",\"path\":\"$deb\",\"bytes\":$(stat -c %s "$deb")}"
  fi
fi

# --- 3 and 4. start-up and memory against an empty Tauri 2 window ---------------------------
if want startup; then
  say "building the empty Tauri 2 window (same release profile)"
  if ! diff <(sed -n '/^\[profile.release\]/,/^$/p' Cargo.toml | grep -v '^$') \
    <(sed -n '/^\[profile.release\]/,/^$/p' bench/empty-window/Cargo.toml | grep -v '^$') >/dev/null; then
    echo "bench/empty-window/Cargo.toml's [profile.release] differs from the root's: make them equal" >&2
    exit 1
  fi
  [ -n "${BENCH_NO_BUILD:-}" ] || (cd bench/empty-window && cargo build --release --quiet)
  EMPTY="$REL/patchbay-empty-window"
  emit "{\"figure\":\"size\",\"what\":\"empty-window-binary\",\"path\":\"$EMPTY\",\"bytes\":$(stat -c %s "$EMPTY")}"
  say "start-up and memory: app and empty window alternately under Xvfb, ${BENCH_STARTS:-10} each"
  # D-Bus helpers print to stdout too: keep only the samples; the app's logs go to a file.
  xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh \
    node bench/node/startup.mjs "$APP" "$EMPTY" "${BENCH_STARTS:-10}" 2>"$OUT/startup.log" |
    grep '^{"figure"' >>"$RAW"
fi

# --- 2, 4 and 5. connect latency, memory with 100000 records, search in the window ------------
if want app; then
  say "connect latency (${BENCH_CONNECTS:-20} rounds), memory and search over $RECORDS records in the app under Xvfb"
  xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh \
    node bench/node/app.mjs "$APP" "$REL/patchbay-sandbox" "${BENCH_CONNECTS:-20}" "$RECORDS" 2>"$OUT/app.log" |
    grep '^{"figure"' >>"$RAW"
fi

node bench/node/report.mjs "$RAW" "$OUT/report.json"
