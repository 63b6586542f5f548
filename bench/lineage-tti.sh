#!/usr/bin/env bash
# Time to interactive of the lineage page in real headless Chromium, for neighbourhoods of
# 200 and 2,000 nodes (target: under 1 s for 2,000). See crates/server/benches/lineage_tti.rs.
#
#   bench/lineage-tti.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if ! command -v chromedriver >/dev/null || [[ ! -x /usr/bin/chromium ]]; then
    echo "lineage-tti: installing chromium and chromium-driver" >&2
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
cargo bench -p downstream-server --bench lineage_tti
