#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qcow2 backing chains with real QEMU and qemu-img. A three-layer chain
# (raw base <- qcow2, named relatively from another directory <- qcow2
# overlay), every layer root-only, reaches the device model as three
# fdsets and blockdev nodes: the guest boots from the overlay (a boot
# sector in the base that writes itself 2 MiB in and says so on COM1),
# dm-audit passes, and QEMU wrote only to the overlay: the base and the
# middle layer keep their checksums. The same with dm_restrict=0, and a
# qcow2 overlay straight on a raw base. A missing layer, a loop and a
# layer without backing_fmt are refused at plan time, naming the layer,
# with nothing left behind.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
work=$(mktemp -d /tmp/dmr-qcow2.XXXXXX)
trap '"$XL_DMR" destroy chain1 2>/dev/null; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT
log=/var/log/xl-dmr/qemu-dm-chain1.log
# Not domid 1, which most tests use: what is left is told by this domid's files.
domid=41 uid=$((131072 + 41))

command -v qemu-img > /dev/null || { tap_skip "qcow2 chains" "no qemu-img (qemu-utils)"; tap_done; exit; }
[ -x /usr/bin/qemu-system-x86_64 ] || { tap_skip "qcow2 chains" "no qemu-system-x86_64"; tap_done; exit; }

# The boot sector (tests/xen/diskwrite.S) writes itself to LBA 4096,
# 2 MiB into its disk, and says so on COM1.
if ! as --32 -o "$work/boot.o" "$srcdir/tests/xen/diskwrite.S" ||
   ! ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$work/boot.bin" "$work/boot.o"; then
    tap_skip "qcow2 chains" "cannot assemble the boot sector (binutils)"
    tap_done; exit
fi

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072

# make_chain DIR: DIR/layers/base.raw <- DIR/layers/mid.qcow2 <- DIR/vm/top.qcow2
# (top names ../layers/mid.qcow2, mid names base.raw), all mode 0600.
make_chain() {
    mkdir -p "$1/layers" "$1/vm"
    cp "$work/boot.bin" "$1/layers/base.raw"
    truncate -s 4M "$1/layers/base.raw"
    qemu-img create -q -f qcow2 -b base.raw -F raw "$1/layers/mid.qcow2" &&
    qemu-img create -q -f qcow2 -b ../layers/mid.qcow2 -F qcow2 "$1/vm/top.qcow2" &&
    chmod 0600 "$1"/layers/* "$1"/vm/*
}

cfg() {  # FILE DM_RESTRICT TARGET
    cat > "$1" <<CFG
name = "chain1"
type = "hvm"
memory = 32
dm_restrict = $2
accel = "tcg"
disk = [ '$3,qcow2,hda,rw' ]
CFG
}

booted() {
    for _ in $(seq 80); do grep -q XLDMR-DISK-WRITE "$log" 2>/dev/null && break; sleep 0.25; done
    grep -q "XLDMR-DISK-WRITE ok" "$log"
}

# What the guest wrote, read back through the whole chain.
write_is_there() {
    qemu-img convert -O raw "$1" "$work/flat.raw" &&
    cmp -s <(dd if="$work/flat.raw" bs=512 skip=4096 count=1 2>/dev/null) "$work/boot.bin"
}

nothing_left() {
    local left
    left=$(leftovers -p /run/xl-dmr/domains/$domid.json -p /run/xl-dmr/qemu-root-$domid \
                     -p /run/xl-dmr/qmp-$domid.sock -u $uid -m guest=chain1)
    [ -z "$left" ] || { echo "$left" | sed 's/^/# left: /'; return 1; }
}

# run_chain LABEL DM_RESTRICT DIR TOP LAYERS...: the guest boots from TOP;
# dm-audit passes; only TOP changed.
run_chain() {
    local label=$1 restrict=$2 dir=$3 top=$4 n
    shift 4
    local sums
    sums=$(sha256sum "$@")
    n=$(($# + 1))
    cfg "$dir/c.cfg" "$restrict" "$top"
    "$XL_DMR" create -n "$dir/c.cfg" > "$dir/plan" 2>&1
    tap_check "$label: create -n shows each layer as a descriptor, read-only below the top" \
        bash -c "grep -q 'disk hda ($top, read-write)' $dir/plan &&
                 [ \$(grep -c '^Passes fd .*: backing hda-backing.*read-only)' $dir/plan) = $(($n - 1)) ]"
    rm -f "$log"
    "$XL_DMR" create --domid $domid "$dir/c.cfg" 2> "$dir/create.err"
    tap_check "$label: create: exit 0" [ $? = 0 ]
    tap_check "$label: the guest booted from the overlay and wrote to its disk" booted
    pid=$(json_get /run/xl-dmr/domains/$domid.json 'd["dm_pid"]')
    tap_check "$label: QEMU got $n fdsets and no image path" \
        bash -c 'c=$(tr "\0" " " < /proc/$1/cmdline); n=$2; shift 2
                 for i in $(seq "$n"); do [[ "$c" == *"filename=/dev/fdset/$i,"* ]] || exit 1; done
                 for p; do [[ "$c" != *"filename=$p"* ]] || exit 1; done' _ "$pid" "$n" "$top" "$@"
    "$XL_DMR" dm-audit chain1 > "$dir/audit"
    tap_check "$label: dm-audit passes, each layer's descriptor in an fdset" \
        bash -c "[ $? = 0 ] && ! grep -q FAIL $dir/audit && grep -q 'fdsets $((2 * n))' $dir/audit"
    "$XL_DMR" destroy chain1
    tap_check "$label: destroy: nothing left" nothing_left
    tap_check "$label: the layers below the top are unchanged" bash -c "[ \"\$1\" = \"\$(sha256sum \"\${@:2}\")\" ]" _ "$sums" "$@"
    tap_check "$label: the write (2 MiB in: FSIZE lifted) is in the overlay" write_is_there "$top"
}

make_chain "$work/r"
run_chain "restricted, three layers" 1 "$work/r" "$work/r/vm/top.qcow2" "$work/r/layers/mid.qcow2" "$work/r/layers/base.raw"
tap_check "... the DM's uid could not open a layer by its path" \
    bash -c '! setpriv --reuid "$2" --regid 131072 --clear-groups head -c1 "$1" >/dev/null 2>&1' _ "$work/r/layers/base.raw" "$uid"

make_chain "$work/u"
run_chain "dm_restrict=0, three layers" 0 "$work/u" "$work/u/vm/top.qcow2" "$work/u/layers/mid.qcow2" "$work/u/layers/base.raw"

mkdir -p "$work/two"
cp "$work/boot.bin" "$work/two/base.raw"
truncate -s 4M "$work/two/base.raw"
qemu-img create -q -f qcow2 -b "$work/two/base.raw" -F raw "$work/two/overlay.qcow2"
chmod 0600 "$work/two"/*
run_chain "a qcow2 overlay on a raw base" 1 "$work/two" "$work/two/overlay.qcow2" "$work/two/base.raw"

# refused CASE-LABEL TOP NEEDLE: create exits 1 with one line naming NEEDLE, nothing left.
refused() {
    cfg "$work/bad.cfg" 1 "$2"
    "$XL_DMR" create --domid $domid "$work/bad.cfg" 2> "$work/bad.err"
    local rc=$?
    tap_check "$1: refused at plan time (exit 1), naming $3" bash -c "[ $rc = 1 ] && grep -qF -- '$3' $work/bad.err" ||
        sed 's/^/# /' "$work/bad.err"
    tap_one_line "$1: ... in one line" "$work/bad.err"
    tap_check "$1: ... nothing left" nothing_left
}

make_chain "$work/m"
rm "$work/m/layers/base.raw"
refused "a missing layer" "$work/m/vm/top.qcow2" "backing layer $work/m/vm/../layers/base.raw (named by $work/m/vm/../layers/mid.qcow2) does not exist"

mkdir -p "$work/loop"
qemu-img create -q -f qcow2 -u -b b.qcow2 -F qcow2 "$work/loop/a.qcow2" 1M
qemu-img create -q -f qcow2 -u -b a.qcow2 -F qcow2 "$work/loop/b.qcow2" 1M
refused "a loop" "$work/loop/a.qcow2" "the backing chain loops: $work/loop/b.qcow2 names $work/loop/a.qcow2"

# qemu-img no longer writes a backing file without its format: take the
# format extension out of a header by hand (its type becomes an unknown one).
make_chain "$work/nofmt"
python3 - "$work/nofmt/layers/mid.qcow2" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    h = f.read(4096)
    off = struct.unpack(">I", h[100:104])[0]
    while True:
        t, n = struct.unpack(">II", h[off:off + 8])
        if t == 0:
            sys.exit("no backing format extension")
        if t == 0xE2792ACA:
            f.seek(off)
            f.write(struct.pack(">I", 0x7a7a7a7a))
            break
        off += 8 + (n + 7) // 8 * 8
PY
refused "a layer without backing_fmt" "$work/nofmt/vm/top.qcow2" "$work/nofmt/vm/../layers/mid.qcow2 names its backing file base.raw without its format"
tap_done
