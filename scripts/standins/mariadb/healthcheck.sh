#!/bin/bash
# shipshape stand-in for the official mariadb image's healthcheck.sh: --connect (a TCP connection
# as the healthcheck user made at initialization) and --innodb_initialized.
set -eo pipefail
cnf=/var/lib/mysql/.my-healthcheck.cnf
[ -f "$cnf" ] || exit 1
client=(mariadb --defaults-extra-file="$cnf" --protocol=tcp -h 127.0.0.1 -sN)
for arg in "$@"; do
  case "$arg" in
    --connect) "${client[@]}" -e 'SELECT 1' >/dev/null ;;
    --innodb_initialized)
      [ "$("${client[@]}" -e "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT')")" = 1 ]
      ;;
  esac
done
