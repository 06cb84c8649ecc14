#!/usr/bin/env bash
# Installs the Debian packages the browser and PostgreSQL tests use, when this
# machine lets us (root, apt-get); otherwise says what is missing and goes on:
# those tests then skip with a reason naming the missing piece.
set -u
wanted=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || wanted+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || wanted+=(postgresql)
# a CJK font, so the screenshots show the Chinese aliases instead of boxes
ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || wanted+=(fonts-wqy-microhei)
[ ${#wanted[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${wanted[*]} (Debian packages) for the browser and PostgreSQL tests"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -q --no-install-recommends "${wanted[@]}" >/tmp/timeline-apt.log 2>&1 \
       || { apt-get update -q >>/tmp/timeline-apt.log 2>&1 && apt-get install -y -q --no-install-recommends "${wanted[@]}" >>/tmp/timeline-apt.log 2>&1; }; then
        exit 0
    fi
    echo "could not install ${wanted[*]} (see /tmp/timeline-apt.log); their tests will skip"
else
    echo "missing ${wanted[*]}: install the Debian packages to run the browser and PostgreSQL tests"
fi
exit 0
