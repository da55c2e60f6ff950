#!/usr/bin/env bash
# The service generator, end to end, on a clean copy of the committed repository (HEAD; the
# working tree is left alone): `pnpm turbo gen service` non-interactively, then the new service
# and everything the generator touched are linted (Biome, buf), type-checked, built and tested,
# and `pnpm start` must serve it. About 1.5 minutes on 2 cores, mostly builds and tests.
#
#   scripts/check-service-generator.sh [--worktree] [name] [port]
#
# name and port default to generator-check and 50070 (a hyphenated name, so that every
# conversion of it is exercised). --worktree copies the working tree (tracked and untracked
# files, not ignored ones) instead of HEAD, to try the generator before committing it.
# KEEP_WORK=1 keeps the copy. Needs git, Node 24, pnpm, kubectl (for packages/deploy; without
# it, the manifests are not checked) and the pnpm store of an earlier `pnpm install` (offline).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

SOURCE=head
if [ "${1:-}" = --worktree ]; then
  SOURCE=worktree
  shift
fi
NAME=${1:-generator-check}
PORT=${2:-50070}
# What the generator derives from the name (turbo/generators/names.ts), for the checks below.
PASCAL=$(awk -F- '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2) }' <<<"$NAME")
CONSTANT=$(tr 'a-z-' 'A-Z_' <<<"$NAME")
FULL_SERVICE="$(tr - _ <<<"$NAME").v1.${PASCAL}Service"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
STARTED=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/service-generator.XXXXXX")
STACK_PID=
cleanup() {
  if [ -n "$STACK_PID" ]; then kill -KILL -- "-$STACK_PID" 2>/dev/null || true; fi
  if [ "${KEEP_WORK:-}" = 1 ]; then echo "kept: $WORK/repo"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

export CI=1 TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1
REPO=$WORK/repo
if [ "$SOURCE" = head ]; then
  step "a clean copy of HEAD ($(git -C "$ROOT" rev-parse --short HEAD)) in $REPO"
  git clone --quiet --no-checkout --no-hardlinks "$ROOT" "$REPO"
  git -C "$REPO" checkout --quiet --detach "$(git -C "$ROOT" rev-parse HEAD)"
else
  step "a copy of the working tree in $REPO"
  mkdir -p "$REPO"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf -) | tar -xf - -C "$REPO"
  # Biome reads .gitignore through git: the copy is a repository too.
  git -C "$REPO" init --quiet
  git -C "$REPO" add -A
  git -C "$REPO" -c user.name=check -c user.email=check@localhost commit --quiet -m copy
fi
cd "$REPO"

step "install (offline first, from the pnpm store)"
pnpm install --frozen-lockfile --prefer-offline --reporter=silent

step "the generator's own lint and types (turbo/generators)"
pnpm exec biome check --error-on-warnings turbo/generators
pnpm --filter @repo/proto exec tsc -p ../../turbo/generators

step "pnpm turbo gen service --args $NAME $PORT"
pnpm turbo gen service --args "$NAME" "$PORT"
for path in "services/$NAME/src/main.ts" "protos/$(tr - _ <<<"$NAME")/v1/$(tr - _ <<<"$NAME").proto" \
  "deploy/kubernetes/base/$NAME/deployment.yaml"; do
  [ -f "$path" ] || { echo "the generator did not write $path" >&2; exit 1; }
done
git status --short

step "lint (Biome, buf lint and format, knip, compose), breaking changes, types, builds, tests: @repo/$NAME and what the generator touched"
# @repo/proto's tests fuzz every message in protos/; @repo/deploy's render and check the
# manifests (with kubectl) against compose and each service's own config parser. The stack (its
# SERVICES and package.json were edited) is linted, type-checked and built; of its tests, the two
# about its services run below.
filters=(--filter="@repo/$NAME" --filter=@repo/proto)
if command -v kubectl >/dev/null; then
  filters+=(--filter=@repo/deploy)
else
  echo "kubectl is not on PATH: deploy/kubernetes is not rendered and checked" >&2
fi
pnpm turbo run lint typecheck build test "${filters[@]}" --output-logs=errors-only
pnpm turbo run lint typecheck build --filter=@repo/stack --output-logs=errors-only
# Through pnpm, not turbo: a protos task's log (protos/.turbo) is among the inputs of
# @repo/proto#generate (turbo.json: $TURBO_ROOT$/protos/**), so running one with turbo would
# rebuild every package once more for `pnpm start` below.
pnpm --filter @repo/protos lint
pnpm --filter @repo/protos breaking
# The compose file as Compose reads it (without an engine), where Compose is installed.
if docker compose version >/dev/null 2>&1; then docker compose config --quiet; fi
# Nothing unused or undeclared in what was generated, where the repository checks it (knip).
if node -e 'process.exit(require("./package.json").scripts?.knip ? 0 : 1)'; then pnpm knip; fi

step "the stack: every service in protos/ served with health and reflection, pnpm demo"
pnpm --filter @repo/stack exec jest test/services.test.ts test/demo.test.ts

step "pnpm start serves $FULL_SERVICE"
LOG=$WORK/start.log
# Every service on a free port, metrics off; in a process group of its own, for Ctrl-C.
env GREETER_PORT=0 STREAM_PORT=0 GATEWAY_PORT=0 "${CONSTANT}_PORT=0" \
  GREETER_METRICS_PORT=0 STREAM_METRICS_PORT=0 GATEWAY_METRICS_PORT=0 "${CONSTANT}_METRICS_PORT=0" \
  setsid pnpm start >"$LOG" 2>&1 &
STACK_PID=$!
for _ in $(seq 180); do
  grep -q 'Press Ctrl-C to stop' "$LOG" && break
  kill -0 "$STACK_PID" 2>/dev/null || break
  sleep 1
done
ADDRESS=$(grep -o "$NAME at localhost:[0-9]*" "$LOG" | head -1 | sed 's/.* at //')
if [ -z "$ADDRESS" ]; then
  cat "$LOG" >&2
  echo "pnpm start did not serve $NAME" >&2
  exit 1
fi
grep '^Serving:' "$LOG"
# Its health, and a call of its one method, through the generated client.
(cd packages/stack && node -e '
  const { credentials } = require("@grpc/grpc-js");
  const { HealthClient } = require("@repo/client-kit");
  const proto = require("@repo/proto");
  const [address, fullService, pascal] = process.argv.slice(1);
  const health = new HealthClient(address);
  const client = new proto[`${pascal}ServiceClient`](address, credentials.createInsecure());
  const method = `get${pascal}`;
  health.check(fullService, { timeoutMs: 5000 })
    .then((status) => {
      console.log(`health ${fullService}: ${status}`);
      if (status !== "SERVING") throw new Error(`${fullService} is ${status}`);
      return new Promise((resolve, reject) =>
        client[method]({ text: "ping" }, { deadline: Date.now() + 5000 }, (err, reply) => (err ? reject(err) : resolve(reply))));
    })
    .then((reply) => {
      console.log(`${fullService}/Get${pascal}: ${JSON.stringify(reply)}`);
      if (reply.text !== "ping") throw new Error("unexpected reply");
    })
    .finally(() => { health.close(); client.close(); })
    .catch((err) => { console.error(err.message); process.exitCode = 1; });
' "$ADDRESS" "$FULL_SERVICE" "$PASCAL")
kill -INT -- "-$STACK_PID"
for _ in $(seq 30); do
  grep -q '^Stopped:' "$LOG" && break
  sleep 1
done
STACK_PID=
grep '^Stopped:' "$LOG" || { cat "$LOG" >&2; exit 1; }
grep -q "$NAME exited 0" "$LOG" || { echo "$NAME did not exit 0" >&2; exit 1; }

step "the generated service builds, is served by pnpm start and passes its tests ($((SECONDS - STARTED)) s)"
