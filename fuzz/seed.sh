#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into fuzz/seeds/<target>/ from the
# repository's real files: the features' JSON docstrings, environments.toml,
# snapshots/normalise.toml and insta .snap files. Inputs are in the targets'
# text form: `T`, then documents separated by NUL bytes (fuzz/src/lib.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/seeds
rm -rf "$out"
mkdir -p "$out"/{matcher,normalise,diff,config,snap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every JSON docstring of the features, one file each.
awk -v dir="$tmp" '
  /^[[:space:]]*"""[[:space:]]*$/ {
    if (inside) { if (body ~ /^[[:space:]]*[\[{]/) { n++; printf "%s", body > (dir "/doc" n ".json"); close(dir "/doc" n ".json") } inside = 0 }
    else { inside = 1; body = "" }
    next
  }
  inside { sub(/^[[:space:]]+/, ""); body = body $0 "\n" }
' features/*/*.feature

# A value for every marker, so the pair matches and the matcher goes deep.
instance() {
  sed -e 's/"#number"/4711/g' -e 's/"#string"/"x"/g' -e 's/"#object"/{}/g' \
      -e 's/"#iso8601"/"2026-11-25T19:38:54.123Z"/g' \
      -e 's/"#uuid"/"7f1b3c2e-9d4a-4e8b-a1c3-5d6e7f809a1b"/g' \
      -e 's/"##regex [^"]*"/null/g' -e 's/"#\[[^"]*"/[]/g' \
      -e 's/{{[^}]*}}/v0.1.3.6/g' "$1"
}
seed() { # target name parts...
  local target=$1 name=$2
  shift 2
  { printf 'T'; local first=1
    for part in "$@"; do
      ((first)) || printf '\0'
      first=0
      cat "$part"
    done; } > "$out/$target/$name"
}

printf '%s\n' 'Call Harper Quinn on +44 20 7946 0958 or mail harper.quinn@example.com at 2026-11-25T20:07:32Z, token=s3cr3t-t0ken' > "$tmp/text"
printf '%s' 's3cr3t-t0ken' > "$tmp/secret"
prev=""
for doc in "$tmp"/doc*.json; do
  n=$(basename "$doc" .json)
  instance "$doc" > "$tmp/$n.actual"
  seed matcher "$n" "$doc" "$tmp/$n.actual"
  seed matcher "$n-self" "$doc" "$doc"
  seed normalise "$n" snapshots/normalise.toml "$tmp/$n.actual" "$tmp/text" "$tmp/secret"
  seed diff "$n" "$doc" "$tmp/$n.actual"
  [[ -n $prev ]] && seed diff "$n-prev" "$prev" "$doc"
  prev=$doc
done

seed config environments environments.toml
for snap in reporters/tests/snapshots/*.snap; do
  seed snap "$(basename "$snap")" "$snap"
done
cat > "$tmp/ours.snap" <<'SNAP'
---
source: "features/engine/health.feature"
assertion_line: 23
description: "engine/health: \"v0.1.3.6\" from local"
expression: "GET engine /health"
info:
  baseline: "engine/health"
  environment: "local"
---
{
  "status": 200,
  "content_type": "application/json",
  "body": {
    "request_id": "[request_id]",
    "status": "ok",
    "time": "[timestamp]"
  }
}
SNAP
printf 'Created: 2019-01-01\nSource: x.feature\n\n{"status": 201}\n' > "$tmp/legacy.snap"
seed snap ours.snap "$tmp/ours.snap"
seed snap legacy.snap "$tmp/legacy.snap"
seed diff snap-vs-legacy "$tmp/ours.snap" "$tmp/legacy.snap"

# The inputs of past findings, replayed on every run (fuzz/regressions/).
for t in matcher normalise diff config snap; do
  [[ -d fuzz/regressions/$t ]] && cp fuzz/regressions/"$t"/* "$out/$t/"
  printf '%s: %s seeds\n' "$t" "$(ls "$out/$t" | wc -l)"
done
