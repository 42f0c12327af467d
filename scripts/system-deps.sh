#!/usr/bin/env bash
# Install the Debian packages the project needs, only when missing: `system-deps.sh venv npm chromium fonts cli nginx services bench`.
# Never downloads a browser of its own: Playwright drives Debian's Chromium (/usr/bin/chromium).
set -euo pipefail

need=()
for what in "$@"; do
  case "$what" in
    venv)     python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv) ;;
    npm)      command -v npm >/dev/null || need+=(nodejs npm) ;;
    chromium) [ -x /usr/bin/chromium ] || need+=(chromium) ;;
    # A CJK font for the watermark stamped on ID card images.
    fonts)    [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei) ;;
    # curl and jq: docs/api.md's walkthrough, which tests/test_api_walkthrough.py runs as written.
    cli)      command -v curl >/dev/null || need+=(curl); command -v jq >/dev/null || need+=(jq) ;;
    # deploy/'s nginx site, which tests/test_deploy.py checks with `nginx -t` and runs in front of gunicorn
    # (as the test's own user, on high ports: the package's own service is never started by us).
    # systemd-analyze (Debian's systemd package; no systemd as PID 1 needed) checks deploy/'s units.
    nginx)    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
              command -v systemd-analyze >/dev/null || need+=(systemd) ;;
    # Real PostgreSQL and Redis servers for the tests that need one whatever the pass (the fault tests, the production
    # shape): tests/services.py starts private ones from these when the machine runs none.
    services) compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
              command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || need+=(redis-server) ;;
    # The HTTP load generator of benchmarks/pages.py (`make bench`), and psql for its database.
    bench)    command -v wrk >/dev/null || need+=(wrk); command -v psql >/dev/null || need+=(postgresql-client) ;;
    *) echo "system-deps.sh: unknown item '$what'" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "Please install these Debian packages (as root): ${need[*]}" >&2; exit 1
fi
echo "Installing Debian packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
