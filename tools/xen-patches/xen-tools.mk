# SPDX-License-Identifier: GPL-2.0-or-later
# Read after debian/rules (make -f debian/rules -f xen-tools.mk xldmr-build):
# libxenlight, libxlutil and xl built with Debian's own make arguments
# ($(make_args_tools): compiler, dpkg-buildflags, paths), nothing else of
# the tools, and no `make install`.
xldmr-build:
	$(MAKE) $(make_args_tools) -C tools/include
	$(MAKE) $(make_args_tools) -C tools/libs
	$(MAKE) $(make_args_tools) -C tools/xl
.PHONY: xldmr-build
