#!/usr/bin/env bash
# Prints the Chrome or Chromium the embedding page's browser test drives (tests/embedding).
# CHROMIUM, when set, must name an executable; otherwise the usual names on PATH and the usual
# macOS install are tried. When none is found, Debian's chromium is installed if apt-get can
# (as root or through sudo); anything else ends with one line naming the setting.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ]; then
  if [ -x "${CHROMIUM}" ]; then echo "${CHROMIUM}"; exit 0; fi
  echo "error: CHROMIUM=${CHROMIUM} is not an executable; set CHROMIUM to a Chrome or Chromium binary" >&2
  exit 1
fi
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if path="$(command -v "${name}")"; then echo "${path}"; exit 0; fi
done
for app in "/Applications/Chromium.app/Contents/MacOS/Chromium" "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"; do
  if [ -x "${app}" ]; then echo "${app}"; exit 0; fi
done
if command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi
  echo "setup: no Chrome or Chromium found: installing Debian's chromium (apt-get, ~15 s)" >&2
  if "${sudo[@]}" apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null \
     && path="$(command -v chromium)"; then
    echo "${path}"; exit 0
  fi
fi
echo "error: no Chrome or Chromium found for the browser test; install one or set CHROMIUM=/path/to/chrome (make test CHROMIUM=...)" >&2
exit 1
