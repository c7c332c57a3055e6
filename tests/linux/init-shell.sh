#!/bin/sh
# /init of the interactive initramfs (initrd-shell.gz, built by scripts/linux/fetch-linux.sh):
# mounts the usual file systems and gives the console an interactive busybox shell.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/ TERM="${TERM:-linux}"

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1
# Warnings and worse still reach the console; informational messages from deferred kernel
# work (the clocksource switch, ...) go only to dmesg instead of landing in the middle of
# the prompt. Debian's own default (procps: kernel.printk = 4 4 1 7).
dmesg -n 4

echo
echo "keel Linux guest: $(uname -sr), busybox shell. 'exit' powers the machine off."
echo

# PID 1 is a session leader without a controlling terminal, and /dev/console cannot become
# one. setsid (run in a child, so PID 1 stays) starts a new session and cttyhack opens the
# real device behind the console (/sys/class/tty/console/active, e.g. ttyS0) as the
# controlling terminal, so the shell gets job control and Ctrl-C reaches its foreground job.
setsid cttyhack sh -l
echo "init: shell exited, powering off"
poweroff -f
while :; do sleep 3600; done
