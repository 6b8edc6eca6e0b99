# tsmfs — two commands:
#   make run    install what is missing, build (release), mount tsmfs at $(MOUNTPOINT), run the
#               kernel documentation's flow against it, and leave it mounted
#   make test   install what is missing, build, check the formatting, and run the whole test suite
#
# Also: make unit (the in-process unit tests alone: no root, no /dev/fuse), make format (apply
# .swift-format), make lint (check it), make bench (tsmfs-bench, release build), make man (the
# manual pages, generated from the argument parser, in .build/man), make static (a release binary
# that needs only glibc and libfuse3), make install / make uninstall (PREFIX, DESTDIR), make deb
# (a Debian package of that install tree).
#
# Variables: MOUNTPOINT (default /run/tsmfs), PROVIDER (default tdx), SWIFT (swift toolchain).

SWIFT      ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
MOUNTPOINT ?= /run/tsmfs
PROVIDER   ?= tdx
RELEASE_BIN = .build/release/tsmfs
# Third-party verifiers the tests check evidence with, Intel's DCAP client library (in the
# dk-tee-attestation wheel) they drive, and the Kubernetes schemas (kubernetes-validate, offline once
# installed), pinned, in a project-local virtualenv.
VENV        = .venv
VERIFIERS   = dcap-qvl==0.7.0 omne-attest==0.1.0 cryptography==48.0.0 dk-tee-attestation==0.6.5 \
              kubernetes-validate==1.37.0 pycose==1.1.0 cbor2==5.6.5 cctrusted-vm==0.5.0 cctrusted-base==0.5.0

# Debian packages the build and the tests need, as "probe:package"; the probe is a command, a
# pkg-config name (NAME.pc) or an installed Debian package (NAME.deb).
DEPENDENCIES = pkg-config:pkg-config fuse3.pc:libfuse3-dev fusermount3:fuse3 hexdump:bsdextrautils \
               setpriv:util-linux unshare:util-linux python3:python3 bwrap:bubblewrap \
               systemd-analyze:systemd podman:podman runc:runc busybox-static.deb:busybox-static \
               debootstrap:debootstrap lintian:lintian dpkg-deb:dpkg gzip:gzip

.PHONY: all deps build release run stop test unit lint format bench clean verifiers man static install uninstall deb

all: build

# Installs only what is missing, so repeated runs are quick and need no network.
deps:
	@missing=""; \
	for pair in $(DEPENDENCIES); do \
	    probe=$${pair%%:*}; package=$${pair##*:}; \
	    case $$probe in \
	        *.pc) pkg-config --exists $${probe%.pc} 2>/dev/null || missing="$$missing $$package" ;; \
	        *.deb) dpkg -s $${probe%.deb} >/dev/null 2>&1 || missing="$$missing $$package" ;; \
	        *) command -v $$probe >/dev/null 2>&1 || missing="$$missing $$package" ;; \
	    esac; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make: installing$$missing"; \
	    if [ "$$(id -u)" != 0 ]; then echo "make: run as root (or install:$$missing)" >&2; exit 1; fi; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@test -e /dev/fuse || { echo "make: /dev/fuse is missing: load the fuse module (modprobe fuse)" >&2; exit 1; }
	@test -x "$(SWIFT)" || command -v "$(SWIFT)" >/dev/null || { echo "make: no swift toolchain (set SWIFT=/path/to/swift)" >&2; exit 1; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	@mkdir -p $(MOUNTPOINT)
	@if grep -q " $(MOUNTPOINT) fuse.tsmfs " /proc/self/mounts; then \
	    echo "tsmfs is already mounted at $(MOUNTPOINT)"; \
	else \
	    $(RELEASE_BIN) mount --provider $(PROVIDER) $(MOUNTPOINT) && \
	    echo "tsmfs ($(PROVIDER)) mounted at $(MOUNTPOINT)"; \
	fi
	@bash examples/kernel-doc-flow.sh $(MOUNTPOINT)
	@echo
	@echo "tsmfs is still mounted at $(MOUNTPOINT). Try it:  ls $(MOUNTPOINT)/tsm/report"
	@echo "Trust material for verifiers:  $(RELEASE_BIN) roots --provider $(PROVIDER) --out DIR; $(RELEASE_BIN) collateral --provider $(PROVIDER) --out DIR"
	@echo "Check evidence with them:      $(RELEASE_BIN) verify --roots DIR --collateral DIR FILE   ($(RELEASE_BIN) inspect FILE shows its fields)"
	@echo "The whole guest surface (configfs, /dev/tdx_guest, RTMRs) for one command:  $(RELEASE_BIN) exec --provider tdx -- CMD"
	@echo "Unmount with:  $(RELEASE_BIN) unmount $(MOUNTPOINT)   (or: make stop)"

stop:
	@$(RELEASE_BIN) unmount $(MOUNTPOINT) 2>/dev/null || .build/debug/tsmfs unmount $(MOUNTPOINT)

verifiers: deps
	@if ! $(VENV)/bin/python -c 'import dcap_qvl, omne_attest, cryptography, dk_tee_attestation, kubernetes_validate, pycose, cbor2, cctrusted_vm' 2>/dev/null; then \
	    python3 -m venv $(VENV) 2>/dev/null || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv $(VENV); }; \
	    $(VENV)/bin/pip install --quiet --disable-pip-version-check $(VERIFIERS); \
	fi

# swift-format ships with the toolchain; the configuration is .swift-format.
SWIFT_FORMAT_PATHS = Sources Tests Package.swift
lint:
	$(SWIFT) format lint --recursive --strict --parallel $(SWIFT_FORMAT_PATHS)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_FORMAT_PATHS)

# The unit tests run in-process; MountTests are the ones that mount (root and /dev/fuse).
unit: build
	$(SWIFT) test --skip MountTests

bench: deps
	$(SWIFT) build -c release --product tsmfs && $(SWIFT) build -c release --product tsmfs-bench \
	    && $(SWIFT) build -c release --product fuse-floor && .build/release/tsmfs-bench

# Test mounts left behind by a crashed test run are detached first, so they cannot confuse this one.
# The packaging tests need the static binary and the package.
test: lint build verifiers deb
	@for stale in $$(awk '$$3 == "fuse.tsmfs" && $$2 ~ /^\/tmp\/tsmfs-test-/ {print $$2}' /proc/self/mounts); do \
	    umount -l "$$stale" && rmdir "$$stale"; \
	done
	$(SWIFT) test

# tsmfs(1) and one page per subcommand, tsmfs-mount(1) and so on, from the commands' own help. A
# subcommand's page is named tsmfs-mount in NAME (what whatis and man -k index) and shows the
# command as typed, "tsmfs mount", in SYNOPSIS; blank lines become paragraph breaks.
MANUAL_OUTPUT = .build/plugins/GenerateManual/outputs/tsmfs
man: deps
	$(SWIFT) package plugin generate-manual --multi-page
	@rm -rf .build/man && mkdir -p .build/man
	@for page in $(MANUAL_OUTPUT)/tsmfs*.1; do \
	    name=$$(basename $$page .1); \
	    [ "$$name" = tsmfs.help ] && continue; \
	    target=$$(echo $$name | tr . -); \
	    upper=$$(echo $$target | tr a-z A-Z); \
	    words=$$(echo $$name | tr . ' '); \
	    awk -v upper="$$upper" -v target="$$target" -v words="$$words" ' \
	        /^\.Dt / { $$2 = upper } \
	        /^\.Nm "/ && !named { print ".Nm " target; named = 1; next } \
	        /^\.Nm$$/ { print ".Nm \"" words "\""; next } \
	        /^$$/ { print ".Pp"; next } \
	        { print }' $$page > .build/man/$$target.1; \
	done
	@echo "manual pages in .build/man: $$(ls .build/man | tr '\n' ' ')"

# --- Packaging -----------------------------------------------------------------------------------
# A release binary with the Swift runtime and Foundation linked in (and the C++ runtime the Swift
# runtime uses): from the system it needs glibc and libfuse3 only, so it runs where no toolchain is.
VERSION     = $(shell sed -n 's/.*version: "\([0-9][^"]*\)".*/\1/p' Sources/tsmfs/TSMFS.swift)
STATIC_DIR  = .build/static
STATIC_BIN  = $(STATIC_DIR)/tsmfs
static: deps
	@mkdir -p $(STATIC_DIR)/libs
	@ln -sf "$$($(dir $(SWIFT))clang -print-file-name=libstdc++.a)" $(STATIC_DIR)/libs/libstdc++.a
	$(SWIFT) build -c release --product tsmfs --static-swift-stdlib --scratch-path $(STATIC_DIR)/build \
	    -Xlinker -L$(CURDIR)/$(STATIC_DIR)/libs -Xswiftc -Xclang-linker -Xswiftc -static-libgcc
	strip -o $(STATIC_BIN) $(STATIC_DIR)/build/release/tsmfs
	@echo "$(STATIC_BIN): $$(du -h $(STATIC_BIN) | cut -f1), needs: $$(ldd $(STATIC_BIN) | awk '{print $$1}' | tr '\n' ' ')"

# Where make install puts things; a package build sets PREFIX=/usr and DESTDIR.
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR       = $(PREFIX)/bin
SBINDIR     ?= /sbin
MANDIR       = $(PREFIX)/share/man
DOCDIR       = $(PREFIX)/share/doc/tsmfs
UNITDIR      = $(PREFIX)/lib/systemd/system
BASHCOMPDIR  = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR   = $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR  = $(PREFIX)/share/fish/vendor_completions.d
INSTALLED    = $(BINDIR)/tsmfs $(SBINDIR)/mount.fuse.tsmfs $(UNITDIR)/tsmfs@.service $(UNITDIR)/run-tsmfs.mount \
               $(UNITDIR)/tsmfs-serve.service \
               $(BASHCOMPDIR)/tsmfs $(ZSHCOMPDIR)/_tsmfs $(FISHCOMPDIR)/tsmfs.fish \
               $(MANDIR)/man5/tsmfs.toml.5.gz $(MANDIR)/man8/mount.fuse.tsmfs.8.gz

install: static man
	install -D -m 0755 $(STATIC_BIN) $(DESTDIR)$(BINDIR)/tsmfs
	@install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	sed 's|/usr/local/bin/tsmfs|$(BINDIR)/tsmfs|' mount-helpers/mount.fuse.tsmfs > $(DESTDIR)$(SBINDIR)/mount.fuse.tsmfs
	chmod 0755 $(DESTDIR)$(SBINDIR)/mount.fuse.tsmfs
	for unit in mount-helpers/systemd/*; do \
	    sed 's|/usr/local/bin/tsmfs|$(BINDIR)/tsmfs|; s|/sbin/mount.fuse.tsmfs|$(SBINDIR)/mount.fuse.tsmfs|' $$unit \
	        > $(DESTDIR)$(UNITDIR)/$$(basename $$unit); \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$unit); \
	done
	for page in .build/man/*.1; do gzip -9n < $$page > $(DESTDIR)$(MANDIR)/man1/$$(basename $$page).gz; done
	python3 packaging/configuration-manpage.py docs/configuration.md $(VERSION) | gzip -9n > $(DESTDIR)$(MANDIR)/man5/tsmfs.toml.5.gz
	gzip -9n < packaging/man/mount.fuse.tsmfs.8 > $(DESTDIR)$(MANDIR)/man8/mount.fuse.tsmfs.8.gz
	$(STATIC_BIN) --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(BASHCOMPDIR)/tsmfs
	$(STATIC_BIN) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_tsmfs
	$(STATIC_BIN) --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/tsmfs.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/tsmfs $(DESTDIR)$(ZSHCOMPDIR)/_tsmfs $(DESTDIR)$(FISHCOMPDIR)/tsmfs.fish
	install -m 0644 examples/*.toml $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	@echo "installed tsmfs $(VERSION) under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rm -f $(DESTDIR)$(MANDIR)/man1/tsmfs.1.gz $(DESTDIR)$(MANDIR)/man1/tsmfs-*.1.gz
	rm -rf $(DESTDIR)$(DOCDIR)

# The Debian package: the install tree under /usr, a control file, md5sums, the copyright and
# changelog Debian expects; built with dpkg-deb and checked with lintian.
DEB_ROOT     = .build/deb/root
DEB_ARCH     = $(shell dpkg --print-architecture)
DEB_VERSION  = $(VERSION)-1
DEB          = .build/deb/tsmfs_$(DEB_VERSION)_$(DEB_ARCH).deb
# Accepted: tsmfs is not uploaded to Debian, so its first changelog entry closes no ITP bug.
LINTIAN_ACCEPTED = initial-upload-closes-no-bugs
deb: deps
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr SBINDIR=/sbin
	rm -f $(DEB_ROOT)/usr/share/doc/tsmfs/README.md
	install -D -m 0644 packaging/debian/copyright $(DEB_ROOT)/usr/share/doc/tsmfs/copyright
	sed 's/@VERSION@/$(DEB_VERSION)/' packaging/debian/changelog | gzip -9n > $(DEB_ROOT)/usr/share/doc/tsmfs/changelog.Debian.gz
	install -d -m 0755 $(DEB_ROOT)/DEBIAN
	glibc=$$(objdump -T $(DEB_ROOT)/usr/bin/tsmfs | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1); \
	size=$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1); \
	sed -e 's/@VERSION@/$(DEB_VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' -e "s/@INSTALLED_SIZE@/$$size/" \
	    -e "s/@GLIBC@/$$glibc/" packaging/debian/control.in > $(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums
	chmod 0644 $(DEB_ROOT)/DEBIAN/control $(DEB_ROOT)/DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB) >/dev/null
	@echo "$(DEB): $$(du -h $(DEB) | cut -f1)"
	@if command -v lintian >/dev/null; then lintian --fail-on error,warning $(if $(LINTIAN_ACCEPTED),--suppress-tags $(LINTIAN_ACCEPTED)) $(DEB); fi

clean:
	rm -rf .build
