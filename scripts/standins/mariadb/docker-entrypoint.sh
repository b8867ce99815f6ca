#!/bin/bash
# shipshape stand-in for the official mariadb image's entrypoint: the subset of its contract the
# tests and examples use. First start of an empty /var/lib/mysql: initialize it, set the root
# password, create MARIADB_DATABASE and MARIADB_USER (MYSQL_* and *_FILE variants accepted), run
# /docker-entrypoint-initdb.d/*.sql|*.sh, then start the server on all interfaces. Started as
# root, it hands the data to mysql (999) and switches to it, as the official image does with gosu.
set -eo pipefail

# file_env VAR [DEFAULT]: VAR from itself, else from the file VAR_FILE names, else DEFAULT.
file_env() {
  local var=$1 file="${1}_FILE" def=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then
    echo "error: both $var and $file are set" >&2
    exit 1
  fi
  local val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!file:-}" ]; then val=$(<"${!file}"); fi
  export "$var"="$val"
  unset "$file"
}

# SQL string literal.
sql() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")"; }

initialize() {
  local v m
  for v in ROOT_PASSWORD USER PASSWORD DATABASE ROOT_HOST ALLOW_EMPTY_ROOT_PASSWORD; do
    file_env "MYSQL_$v"
    m="MYSQL_$v"
    file_env "MARIADB_$v" "${!m:-}"
  done
  : "${MARIADB_ROOT_HOST:=%}"
  if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ]; then
    echo "error: database is uninitialized and MARIADB_ROOT_PASSWORD is not set" >&2
    exit 1
  fi
  echo "initializing the database in /var/lib/mysql" >&2
  mariadb-install-db --datadir=/var/lib/mysql --skip-test-db --skip-name-resolve \
    --auth-root-authentication-method=normal >/dev/null
  "$@" --skip-networking --socket=/run/mysqld/mysqld.sock &
  local pid=$! i
  for i in $(seq 60); do
    mariadb --protocol=socket -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
  done
  local hc root pw
  hc=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  root=$(sql "$MARIADB_ROOT_PASSWORD")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('mariadb.sys', 'root') OR host <> 'localhost';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $root;"
    if [ "$MARIADB_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@$(sql "$MARIADB_ROOT_HOST") IDENTIFIED BY $root;"
      echo "GRANT ALL ON *.* TO 'root'@$(sql "$MARIADB_ROOT_HOST") WITH GRANT OPTION;"
    fi
    echo "CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$hc', 'healthcheck'@'localhost' IDENTIFIED BY '$hc';"
    if [ -n "$MARIADB_DATABASE" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"; fi
    if [ -n "$MARIADB_USER" ]; then
      pw=$(sql "$MARIADB_PASSWORD")
      echo "CREATE USER $(sql "$MARIADB_USER")@'%' IDENTIFIED BY $pw;"
      if [ -n "$MARIADB_DATABASE" ]; then
        echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO $(sql "$MARIADB_USER")@'%';"
      fi
    fi
  } | mariadb --protocol=socket -uroot
  printf '[mariadb-client]\nport=3306\nuser=healthcheck\npassword=%s\n' "$hc" >/var/lib/mysql/.my-healthcheck.cnf
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f" >&2; . "$f" ;;
      *.sql)
        echo "running $f" >&2
        mariadb --protocol=socket -uroot -p"$MARIADB_ROOT_PASSWORD" "${MARIADB_DATABASE:-mysql}" <"$f"
        ;;
    esac
  done
  kill "$pid"
  wait "$pid" || true
  echo "database initialized" >&2
}

# Asked for help or the version: nothing to set up.
wants_help() {
  local arg
  for arg; do
    case "$arg" in -'?' | --help | --print-defaults | -V | --version) return 0 ;; esac
  done
  return 1
}

if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
if { [ "$1" = mariadbd ] || [ "$1" = mysqld ]; } && ! wants_help "$@"; then
  if [ "$(id -u)" = 0 ]; then
    find /var/lib/mysql /run/mysqld \! -user mysql -exec chown mysql:mysql {} +
    exec setpriv --reuid=mysql --regid=mysql --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ ! -d /var/lib/mysql/mysql ]; then initialize "$@"; fi
fi
exec "$@"
