#!/bin/busybox sh
# PID 1 of the cgroup v2 guest (busybox sh; /init of the initramfs).
#
# Stage 1 (initramfs): load the modules, mount the host's root read-only
# over virtio-9p with a tmpfs overlay for writes (so the repo, /usr and the
# host's tools appear at the same paths), add proc/sys/dev/run, put /tmp and
# /var/tmp on the ext4 scratch disk, mount cgroup2 with nsdelegate, the
# writable results share and the GOROOT image, then switch_root.
# switch_root, not chroot: inside a chroot the kernel refuses new user
# namespaces (EPERM), which the sandbox needs.
# Stage 2 (new root, still PID 1): run the script named by v2vm_script= on
# the kernel command line, record its exit status on the results share,
# power off. If anything fails before that, the status file is missing and
# the host fails the check.

bb=/bin/busybox
say() {
  u=/proc/uptime
  [ -r $u ] || u=/newroot/proc/uptime   # /proc moved there before switch_root
  echo "v2vm guest [$(cut -d' ' -f1 $u)s]: $*"
}

if [ "$1" != stage2 ]; then
  fail() { say "init failed: $*"; $bb poweroff -f; }
  $bb --install -s /bin
  export PATH=/bin
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m.ko" || fail "insmod $m"
  done

  n=/newroot
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /mnt/lower ||
    fail "mount of the host root (9p tag hostroot)"
  mount -t tmpfs -o mode=0755 rw /mnt/rw
  mkdir -p /mnt/rw/upper /mnt/rw/work
  mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay $n ||
    fail "overlay mount"

  for d in proc sys dev; do mount --move /$d $n/$d || fail "move /$d"; done
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs $n/run
  # The scratch disk (/dev/vda, made by run.sh): the sandboxes idmap the
  # paths they write (working directory, GOCACHE, --bind), which Linux 6.1
  # allows on ext4 but not on tmpfs, overlay or 9p. noinit_itable: no
  # background inode table zeroing, which costs CPU under TCG.
  sc=$n/run/v2vm/scratch
  mkdir -p $sc
  mount -t ext4 -o noinit_itable $n/dev/vda $sc || fail "ext4 mount of the scratch disk /dev/vda"
  mount --bind $sc/tmp $n/tmp || fail "bind of /tmp"
  mount --bind $sc/var-tmp $n/var/tmp || fail "bind of /var/tmp"
  # A checkout under the host's /tmp, /var/tmp or /run (git clone ... /tmp/x)
  # would vanish under the guest's own: lay it back at its path, writable
  # over the read-only share like the rest.
  for w in $(cat $n/proc/cmdline); do   # /proc is under the new root by now
    case $w in v2vm_script=/tmp/* | v2vm_script=/var/tmp/* | v2vm_script=/run/*)
      r=${w#v2vm_script=}; r=${r%/integration-tests/v2vm/guest-run.sh}
      mkdir -p /mnt/rw/repo/upper /mnt/rw/repo/work $n$r
      mount -t overlay -o lowerdir=/mnt/lower$r,upperdir=/mnt/rw/repo/upper,workdir=/mnt/rw/repo/work repo $n$r ||
        fail "overlay of the checkout $r" ;;
    esac
  done
  mkdir -p $n/dev/pts $n/dev/shm $n/dev/mqueue
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $n/dev/pts
  ln -sf pts/ptmx $n/dev/ptmx
  mount -t tmpfs -o mode=1777,nosuid,nodev shm $n/dev/shm
  mount -t mqueue mqueue $n/dev/mqueue 2>/dev/null
  # devtmpfs lacks these; bash process substitution wants /dev/fd.
  ln -sf /proc/self/fd $n/dev/fd
  ln -sf /proc/self/fd/0 $n/dev/stdin
  ln -sf /proc/self/fd/1 $n/dev/stdout
  ln -sf /proc/self/fd/2 $n/dev/stderr
  # nsdelegate: cgroup namespaces become delegation boundaries, as on
  # systemd hosts; the nested pass of guest-run.sh relies on it.
  mount -t cgroup2 -o nsdelegate cgroup2 $n/sys/fs/cgroup || fail "cgroup2 mount"

  v=$n/run/v2vm
  mkdir -p $v/results $v/go
  cp $bb $v/busybox
  cp /init $v/init
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results $v/results ||
    fail "mount of the results share (9p tag results)"

  # The GOROOT image (optional): its trees bind-mounted at their host paths.
  if [ -b $n/dev/vdb ]; then
    mount -t squashfs -o ro $n/dev/vdb $v/go || fail "squashfs mount of /dev/vdb"
    while read -r p; do
      mount --bind "$v/go/root$p" "$n$p" || fail "bind of GOROOT tree $p"
    done <$v/go/binds
  fi

  hostname v2vm
  ip link set lo up 2>/dev/null
  say "root ready"
  exec switch_root $n /run/v2vm/busybox sh /run/v2vm/init stage2
  fail "switch_root"
fi

# --- stage 2: PID 1 in the host-like root ----------------------------------
bb=/run/v2vm/busybox
out=/run/v2vm/results
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb V2VM_OUT=$out
script=
for w in $(cat /proc/cmdline); do
  case $w in v2vm_script=*) script=${w#v2vm_script=} ;; esac
done
if [ -n "$script" ] && [ -f "$script" ]; then
  say "running $script"
  # Run it as a child: PID 1 stays here to record the status and power off.
  /bin/bash "$script"
  rc=$?
  echo $rc >$out/guest.status
  say "script exited $rc"
else
  say "no script: v2vm_script='$script'"
fi
cut -d' ' -f1 /proc/uptime >$out/guest.uptime
sync
$bb umount $out 2>/dev/null
$bb poweroff -f
