#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bash completion (tools/xl-dmr.bash-completion), driven as bash drives it:
# COMP_WORDS and COMP_CWORD set, _xl_dmr called, COMPREPLY read, with
# bash-completion's own functions loaded when installed. Domain names come
# from xl-dmr list (three paused guests), cfg files from the cwd, and the
# BDFs for pci-assignable-add from a fake sysfs under XL_DMR_SYSROOT.
set -u
. "$srcdir/tests/lib/tap.sh"
. "$srcdir/tests/lib/userns.sh"
. "$srcdir/tests/lib/leftovers.sh"
userns_enter "$@"
XL_DMR=${XL_DMR:-$builddir/tools/xl-dmr}
COMPLETION=$srcdir/tools/xl-dmr.bash-completion
work=$(mktemp -d /tmp/dmr-compl.XXXXXX)
trap 'for g in alpha1 alpha2 beta; do "$XL_DMR" destroy $g 2>/dev/null; done; umount /etc 2>/dev/null; rm -rf "$DMR_ETC_COPY" "$work"' EXIT

# complete WORD...: what completing the last word offers, one a line, sorted.
complete() {
    bash -c '
        [ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
        . "$0"
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _xl_dmr "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        [ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETION" "$XL_DMR" "$@" | sort
}
words() { echo $(cat); }  # one line, space separated
# complete_line LINE: as complete, with COMP_WORDS split as bash splits
# them (at COMP_WORDBREAKS, so a BDF's colons are words of their own).
complete_line() {
    bash -c '
        [ -f /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
        . "$0"
        COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$(sed "s/:/ : /g" <<< "$COMP_LINE")"
        [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _xl_dmr "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        [ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETION" "$XL_DMR" "$1" | sort
}

[ -f /usr/share/bash-completion/bash_completion ] ||
    echo "# bash-completion is not installed: the script's own fallback is tested"

tap_check "subcommands: 'pci-assignable-' gives the three" \
    [ "$(complete pci-assignable- | words)" = "pci-assignable-add pci-assignable-list pci-assignable-remove" ]
tap_check "options of the subcommand: 'list -' gives list's" \
    [ "$(complete list - | words)" = "--help --json --long -h -l" ]
tap_check "... after an operand too: 'dm-audit x --j'" [ "$(complete dm-audit x --j | words)" = "--json" ]

userns_reset
userns_add_user xen-qemuuser-range-base 131072 131072
for g in alpha1 alpha2 beta; do
    cat > "$work/$g.cfg" <<CFG
name = "$g"
type = "hvm"
memory = 32
dm_restrict = 1
accel = "tcg"
CFG
    "$XL_DMR" create -p "$work/$g.cfg" 2> "$work/$g.err" ||
        { tap_fail "$g starts paused" "$(cat "$work/$g.err")"; tap_done; exit; }
done
tap_check "alpha1, alpha2, beta started paused" \
    bash -c "[ \$($XL_DMR list alpha1 alpha2 beta | grep -c -- '--p---') = 3 ]"
tap_check "destroy al: exactly alpha1 and alpha2" [ "$(complete destroy al | words)" = "alpha1 alpha2" ]
tap_check "dm-audit --json b: beta" [ "$(complete dm-audit --json b | words)" = "beta" ]
tap_check "destroy alpha1 a: nothing (destroy takes one domain)" [ -z "$(complete destroy alpha1 a)" ]

mkdir "$work/cwd" "$work/cwd/guests"
touch "$work/cwd/web.cfg" "$work/cwd/db.cfg" "$work/cwd/notes.txt"
tap_check "create: the *.cfg files of the cwd, and its directories" \
    [ "$(cd "$work/cwd" && complete create "" | words)" = "db.cfg guests web.cfg" ]
tap_check "create -n --domid 3 w: web.cfg (an option's argument is not the cfg)" \
    [ "$(cd "$work/cwd" && complete create -n --domid 3 w | words)" = "web.cfg" ]

fake=$work/root
"$srcdir/tests/lib/fake-sysfs" "$fake" 20 0000:03:00.0:e1000e:0x020000 0000:05:00.0:-:0x030000
"$srcdir/tests/lib/fake-sysfs" "$fake" 21 0000:04:00.0:vfio-pci:0x030000
tap_check "pci-assignable-add: the BDFs of a fake sysfs not assignable yet" \
    [ "$(XL_DMR_SYSROOT=$fake complete pci-assignable-add "" | words)" = "0000:03:00.0 0000:05:00.0" ]
if [ -f /usr/share/bash-completion/bash_completion ]; then
    tap_check "pci-assignable-add 0000:0 (bash splits at the colons): the rest of each BDF" \
        [ "$(XL_DMR_SYSROOT=$fake complete_line "$XL_DMR pci-assignable-add 0000:0" | words)" = "03:00.0 05:00.0" ]
    tap_check "pci-assignable-add 0000:05: the one" \
        [ "$(XL_DMR_SYSROOT=$fake complete_line "$XL_DMR pci-assignable-add 0000:05" | words)" = "05:00.0" ]
else
    tap_skip "BDFs after a colon" "needs bash-completion's _init_completion (scripts/install-deps installs it)"
fi
tap_check "pci-assignable-remove: the assignable one" \
    [ "$(XL_DMR_SYSROOT=$fake complete pci-assignable-remove "" | words)" = "0000:04:00.0" ]

for g in alpha1 alpha2 beta; do "$XL_DMR" destroy $g 2>> "$work/destroy.err"; done
tap_check "all three destroyed" bash -c "[ ! -s $work/destroy.err ] && [ -z \"\$($XL_DMR list | tail -n +2 | grep -E '^(alpha1|alpha2|beta) ')\" ]"
left=$(leftovers -m alpha1 -m alpha2 -m 'name=beta' -m "$work")
tap_check "nothing left behind${left:+: $left}" [ -z "$left" ]
tap_done
