#!/bin/sh
# shipshape stand-in for the official redis image's entrypoint: flags get redis-server prepended;
# started as root it hands /data to redis (999) and switches to it, as the official image does
# with gosu; protected mode is off, as the official image builds it.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis {} +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi
umask 0077
exec "$@"
