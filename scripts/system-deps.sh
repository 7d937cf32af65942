#!/usr/bin/env bash
# The system packages the tests need: Debian's Chromium (headless browser tests) and the Noto CJK
# fonts (charts and pages in Chinese). One script for `make test` and CI.
# As root it installs what is missing; as a normal user it prints the one line to run and fails.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
{ command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; } || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "测试需要系统软件包：${need[*]}。请先运行：" >&2
  echo "  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "安装系统软件包：${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
