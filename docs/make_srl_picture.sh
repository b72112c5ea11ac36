#!/usr/bin/env bash
# Renders the picture of semantic frames in docs/semantic_roles.md:
# `render_frames` writes displaCy's HTML (one line of spans per predicate) with
# the embedded default pipeline, and headless Chromium (`apt install chromium`)
# screenshots it.
#
#   bash docs/make_srl_picture.sh ["TEXT"]
set -euo pipefail
cd "$(dirname "$0")"
TEXT=${1:-"The city council approved the new budget on Monday after a long debate."}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FRAMES=$(python - "$TEXT" "$WORK/frames.html" <<'EOF'
import sys
from pathlib import Path

import spacy_bert_components
from spacy_bert_components.srl.visualize import render_frames

doc = spacy_bert_components.load()(sys.argv[1])
Path(sys.argv[2]).write_text(render_frames(doc), encoding="utf8")
print(len(doc._.srl))
EOF
)
# About 185 px per frame: displaCy's span style puts each on its own block.
HEIGHT=$((60 + 185 * (FRAMES > 0 ? FRAMES : 1)))
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$PWD/srl_frames.png" --window-size=1000,"$HEIGHT" "file://$WORK/frames.html" 2>/dev/null
echo "Wrote docs/srl_frames.png ($FRAMES frames)"
