#!/bin/sh
# /init of the Linux exec benchmark's initramfs (bench/linux/README.md): the test
# initramfs with this /init and /bench added. Runs the workloads listed in
# /bench/workloads through /bench/guest-runner, then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
dmesg -n 1 # only emergencies on the console from here on
echo KEEL-BENCH-START
/bench/guest-runner /bench $(cat /bench/workloads)
echo KEEL-BENCH-DONE
poweroff -f
