#!/bin/sh
# /init of the suites initramfs (scripts/suites/fetch-suites.sh builds initrd-suites.gz:
# the busybox image of initrd-shell.gz with this /init and /suites on top). Runs every
# suite program through run-suites.sh, prints KEEL-SUITES-DONE and powers off. The kernel
# command line can name programs to run instead of all: keel.suites=SUITE/NAME,...
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
exec </dev/console >/dev/console 2>&1
# Only emergencies on the console from here: kernel messages must not land in the blocks.
dmesg -n 1
echo KEEL-SUITES-STARTED
only=$(sed -n 's/.*keel\.suites=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
# shellcheck disable=SC2086 # a list of names
sh /suites/run-suites.sh /suites $only
echo KEEL-SUITES-DONE
poweroff -f
echo "init: the machine did not stop"
while :; do sleep 3600; done
