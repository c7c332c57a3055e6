#!/bin/sh
# /init of the test initramfs (scripts/linux/fetch-linux.sh builds it into initrd-test.gz).
# Runs under busybox sh as PID 1 of Debian's unmodified kernel and prints, on the console:
#   KEEL-LINUX-INIT-REACHED
#   === BEGIN <name> === ... === END <name> status=<N> ===   for each command below
# (check32 is a 32-bit program: the kernel runs it in compatibility mode)
#   KEEL-LINUX-TESTS-DONE
# then powers off. The kernel command line chooses how it ends:
#   keel.test=reboot  reboot -f instead of poweroff -f
#   keel.test=panic   init exits, so the kernel panics ("Attempted to kill init!")
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel opened /dev/console for us before running /init (the archive carries that
# node); reopen it from devtmpfs anyway so output survives an archive without it.
exec </dev/console >/dev/console 2>&1

echo KEEL-LINUX-INIT-REACHED
# From here on the console carries only emergencies (a panic, an oops): kernel messages
# printed from deferred work while the blocks run (the TSC clocksource switch lands
# seconds after boot on a slow host) would otherwise interleave with the blocks and make
# their contents depend on host speed. The whole log stays readable through dmesg.
dmesg -n 1

run() {
  name=$1
  shift
  echo "=== BEGIN $name ==="
  "$@" 2>&1
  status=$?
  echo "=== END $name status=$status ==="
}

dmesg_errors() {
  dmesg | grep -i error # status 1 (no line matched) is the good outcome
}

run uname uname -a
run cpuinfo cat /proc/cpuinfo
run pci-devices ls -1 /sys/bus/pci/devices # one per line, even on a terminal
run dmesg-errors dmesg_errors
run check_program /check_program
run check32 /check32

echo KEEL-LINUX-TESTS-DONE

case " $(cat /proc/cmdline) " in
  *" keel.test=reboot "*) reboot -f ;;
  *" keel.test=panic "*) exit 1 ;;
  *) poweroff -f ;;
esac
# poweroff/reboot -f return only if the machine did not stop; PID 1 must not exit then,
# or the kernel panics and hides what went wrong.
echo "init: the machine did not stop"
while :; do sleep 3600; done
