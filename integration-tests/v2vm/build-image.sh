#!/usr/bin/env bash
# Build, or reuse from the cache, what the cgroup v2 guest boots:
#   - the uncompressed vmlinux of Debian's current amd64 kernel package
#     (qemu boots an ELF with CONFIG_PVH directly: ~3 s faster under TCG
#     than letting the bzImage decompress itself),
#   - an initramfs: static busybox, guest-init.sh as /init, and the
#     virtio/9p/overlay/squashfs/ext4 modules in dependency order,
#   - via go-image.sh, a squashfs image of GOROOT (Go over 9p is ~15x
#     slower) and a pre-warmed GOCACHE, when Go is installed.
# Everything lives under <repo>/.cache/v2vm (git-ignored); keys are the
# kernel package version and the content of the scripts that go into each
# file, so a second run only checks that the files are there.
# Output: shell assignments VMLINUX= INITRD= GOIMG= GOWARM= KVER= on
# stdout (for eval); progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${V2VM_CACHE:-$repo/.cache/v2vm}

# Modules the guest needs; their dependencies are added from each .ko's
# depends= field (the .deb ships no modules.dep). ext4 (the scratch disk)
# wants a crc32c driver only as a softdep, which busybox insmod does not
# follow: crc32c_generic is named before it.
read -r -a extra_modules <<<"${V2VM_EXTRA_MODULES:-}"
want_modules=(virtio_pci 9pnet_virtio 9p overlay virtio_blk squashfs crc32c_generic ext4
  ${extra_modules[@]+"${extra_modules[@]}"})

log() { printf 'v2vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
sha() { sha256sum "$@" | cut -c1-16; }

mkdir -p "$cache"
# Two runs at once (make check in two shells) must not build into each other.
exec 9>"$cache/.lock"
flock 9

tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- kernel --------------------------------------------------------------
# One apt-cache call (each costs ~1 s): the metapackage pins its kernel
# with "Depends: linux-image-X-amd64 (= VERSION)". Prints "NAME VERSION".
kernel_pkg() {
  apt-cache show --no-all-versions linux-image-amd64 2>/dev/null | awk '
    /^Depends:/ && match($0, /linux-image-[0-9][^ ,]*-amd64 \(= [^)]*\)/) && !p {
      split(substr($0, RSTART, RLENGTH), w, /[ ()=]+/); print w[1], w[2]; p = 1 }'
}

if [ -n "${V2VM_KERNEL_PKG:-}" ]; then
  pkg=$V2VM_KERNEL_PKG   # NAME=VERSION
  ver=${pkg#*=} pkg=${pkg%%=*}
else
  read -r pkg ver < <(kernel_pkg) || true
  if [ -z "${pkg:-}" ] && [ "$(id -u)" = 0 ]; then
    log "apt lists lack linux-image-amd64: apt-get update"
    apt-get update -qq >&2 || true
    read -r pkg ver < <(kernel_pkg) || true
  fi
fi
kdir=
if [ -n "${pkg:-}" ]; then
  kdir=$cache/kernel/${pkg}_${ver}
elif compgen -G "$cache/kernel/*/ok" >/dev/null; then
  # Offline and no apt lists: any kernel fetched before still proves v2.
  kdir=$(dirname "$(ls -t "$cache"/kernel/*/ok | awk 'NR == 1')")
  log "cannot ask apt for the kernel package; reusing $(basename "$kdir")"
else
  die "cannot find the kernel package that linux-image-amd64 depends on (apt-get update?)"
fi

read_depends() {  # the depends= field of a .ko's .modinfo section
  tr '\0' '\n' <"$1" | awk -F= '$1 == "depends" && !p { gsub(",", " ", $2); print $2; p = 1 }'
}

# A kernel unpacked for another module list is unpacked again.
if [ ! -e "$kdir/ok" ] || [ "$(cat "$kdir/want" 2>/dev/null)" != "${want_modules[*]}" ]; then
  t0=$SECONDS
  log "fetching $pkg $ver from Debian"
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
    { [ "$(id -u)" = 0 ] && apt-get update -qq >&2 &&
        (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2); } ||
    die "apt-get download $pkg=$ver failed"
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
  kver=$(ls "$tmp/x/lib/modules")
  rm -rf "$kdir" && mkdir -p "$kdir/modules"

  # The bzImage carries the kernel as an xz stream: cut from its magic.
  vmlinuz=$tmp/x/boot/vmlinuz-$kver
  # (No head/q in these pipes: with pipefail, SIGPIPE upstream would fail them.)
  off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | awk -F: 'NR == 1 { print $1 }')
  [ -n "$off" ] || die "no xz stream in $vmlinuz"
  xz -dc --single-stream <(tail -c +$((off + 1)) "$vmlinuz") >"$kdir/vmlinux"
  [ "$(head -c4 "$kdir/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "$vmlinuz: the xz stream is not an ELF kernel"

  # Uncompress modules here: busybox insmod takes plain .ko only.
  declare -A ko=() seen=()
  while IFS= read -r -d '' f; do
    n=${f##*/}; n=${n%%.ko*}; ko[${n//-/_}]=$f
  done < <(find "$tmp/x/lib/modules/$kver/kernel" -name '*.ko*' -print0)
  order=()
  add_module() {
    local m=$1 d
    [ -z "${seen[$m]:-}" ] || return 0
    seen[$m]=1
    [ -n "${ko[$m]:-}" ] || die "module $m is not in $pkg"
    case ${ko[$m]} in
      *.ko) cp "${ko[$m]}" "$kdir/modules/$m.ko" ;;
      *.ko.xz) xz -dc "${ko[$m]}" >"$kdir/modules/$m.ko" ;;
      *.ko.zst) zstd -qdc "${ko[$m]}" >"$kdir/modules/$m.ko" ;;
      *) die "cannot read module ${ko[$m]}" ;;
    esac
    for d in $(read_depends "$kdir/modules/$m.ko"); do add_module "${d//-/_}"; done
    order+=("$m")
  }
  for m in "${want_modules[@]}"; do add_module "$m"; done
  printf '%s\n' "${order[@]}" >"$kdir/modules/order"
  echo "$kver" >"$kdir/kver"
  echo "${want_modules[*]}" >"$kdir/want"
  touch "$kdir/ok"
  log "kernel $kver ready in $((SECONDS - t0))s (modules: ${order[*]})"
  # Older kernels of this cache are dead weight now.
  for old in "$cache"/kernel/*; do [ "$old" = "$kdir" ] || rm -rf "$old"; done
fi
kver=$(cat "$kdir/kver")

# --- initramfs -----------------------------------------------------------
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
# A dynamic busybox would need its libraries in the initramfs too.
! ldd "$busybox" >/dev/null 2>&1 ||
  die "$busybox is not static (apt-get install busybox-static)"
ikey=$(cat "$here/guest-init.sh" "$here/build-image.sh" "$kdir/modules/order" "$busybox" | sha -)
initrd=$cache/initramfs-$kver-$ikey.cpio
if [ ! -e "$initrd" ]; then
  s=$tmp/initramfs
  mkdir -p "$s"/{bin,dev,proc,sys,mnt/lower,mnt/rw,newroot,lib/modules}
  cp "$busybox" "$s/bin/busybox"
  cp "$here/guest-init.sh" "$s/init" && chmod 0755 "$s/init"
  cp "$kdir"/modules/* "$s/lib/modules/"
  mknod -m 0600 "$s/dev/console" c 5 1 2>/dev/null || true
  # Uncompressed: gunzip costs more under TCG than reading 3 MB more.
  (cd "$s" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  find "$cache" -maxdepth 1 -name 'initramfs-*.cpio' ! -path "$initrd" -delete
  log "initramfs built: $(basename "$initrd")"
fi

# --- GOROOT + GOCACHE image (own script: its 60 s rebuild is keyed on it) ---
goimg= gowarm=
if [ "${V2VM_GO:-1}" != 0 ] && command -v go >/dev/null; then
  goimg=$(bash "$here/go-image.sh" "$cache" "$tmp")
  gowarm=${goimg%.sqfs}.gocache
fi

printf 'VMLINUX=%q\nINITRD=%q\nGOIMG=%q\nGOWARM=%q\nKVER=%q\n' "$kdir/vmlinux" "$initrd" "$goimg" "$gowarm" "$kver"
