#!/usr/bin/env bash
# Second-run speedup of the catalog over a direct scan, for relation, none --all,
# base --against and file (the catalog made with index --files), on the truth pool (fixtures/real and fixtures/external) at once and on N hard-linked copies of it
# (a disk of many archives). Wall time of the whole command, median of RUNS runs.
# A third case is one big whole-gzipped `docker save` (BIG_MB of random layer data), which a
# direct scan must decompress to the end to find its JSON members.
# Usage: bench/catalog-speedup.sh [COPIES=10] [RUNS=5] [BIG_MB=300]   (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${1:-10}
RUNS=${2:-5}
BIG_MB=${3:-300}
L="node bin/layerdig.js"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ID=2cffd89416e1          # the base layer every real fixture shares
UNTAGGED=7c038bf84c42    # app1-old, untagged in multi/

median() { # command... → median wall seconds
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t+=("$(awk "BEGIN{print $e - $s}")")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

row() { # label direct-cmd... -- db-cmd...
  local label=$1; shift
  local d=() c=()
  while [ "$1" != -- ]; do d+=("$1"); shift; done; shift
  c=("$@")
  local td tc
  td=$(median "${d[@]}"); tc=$(median "${c[@]}")
  printf '| %s | %.3f s | %.3f s | %.1f× |\n' "$label" "$td" "$tc" "$(awk "BEGIN{print $td / $tc}")"
}

bench() { # where db
  local where=$1 db=$2 n
  n=$($L images "$where" --json -q | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(new Set(j.map(x=>x.archive)).size+" archives, "+j.length+" images")})')
  local s e
  s=$(date +%s.%N); $L index "$where" --db "$db" --files -q >/dev/null; e=$(date +%s.%N)
  echo "### $where: $n; first index --files $(awk "BEGIN{printf \"%.2f\", $e - $s}") s"
  s=$(date +%s.%N); $L index "$where" --db "$db" --files -q >/dev/null; e=$(date +%s.%N)
  echo "re-index (all unchanged): $(awk "BEGIN{printf \"%.2f\", $e - $s}") s"
  echo
  echo "| command | direct scan | catalog (--db) | speedup |"
  echo "|---|---|---|---|"
  row "relation $ID" $L relation $ID "$where" -q -- $L relation $ID "$where" --db "$db" -q
  row "none --all" $L none --all "$where" -q -- $L none --all "$where" --db "$db" -q
  row "none $UNTAGGED" $L none $UNTAGGED "$where" -q -- $L none $UNTAGGED "$where" --db "$db" -q
  row "base --no-os --against" $L base fixtures/real/app1/app1.oci --no-os --against "$where" -q -- $L base fixtures/real/app1/app1.oci --no-os --db "$db" --against "$where" -q
  row "file etc/os-release" $L file etc/os-release "$where" -q -- $L file etc/os-release "$where" --db "$db" -q
  echo
}

echo "node $(node --version), $(nproc) cores; median of $RUNS runs; \`layerdig --version\` alone: $(median $L --version) s"
echo
# the truth pool only: the other folders of fixtures/ hold fixtures broken on purpose
POOL=$TMP/fixtures
mkdir -p "$POOL" && cp -al fixtures/real fixtures/external "$POOL/"
bench "$POOL" "$TMP/a.db"
mkdir -p "$TMP/disk"
for i in $(seq "$COPIES"); do cp -al "$POOL" "$TMP/disk/copy$i"; done
bench "$TMP/disk" "$TMP/b.db"

# one big whole-gzipped docker save, and the fixtures beside it
mkdir -p "$TMP/big/rootfs" "$TMP/big/save"
head -c "${BIG_MB}M" /dev/urandom > "$TMP/big/rootfs/blob.bin"
tar -C "$TMP/big/rootfs" -cf "$TMP/big/layer.tar" .
DIFF=$(sha256sum "$TMP/big/layer.tar" | cut -d' ' -f1)
mv "$TMP/big/layer.tar" "$TMP/big/save/$DIFF.tar"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$DIFF" > "$TMP/big/save/config.json"
CFG=$(sha256sum "$TMP/big/save/config.json" | cut -d' ' -f1)
mv "$TMP/big/save/config.json" "$TMP/big/save/$CFG.json"
printf '[{"Config":"%s.json","RepoTags":["big:1"],"Layers":["%s.tar"]}]' "$CFG" "$DIFF" > "$TMP/big/save/manifest.json"
mkdir -p "$TMP/bigdisk"
tar -C "$TMP/big/save" -cf - . | gzip -1 > "$TMP/bigdisk/big.docker-archive.tar.gz"
cp -al "$POOL" "$TMP/bigdisk/fixtures"
rm -rf "$TMP/big"
bench "$TMP/bigdisk" "$TMP/c.db"
