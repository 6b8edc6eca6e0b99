# tsmfs — two commands:
#   make run    install what is missing, build (release), mount tsmfs at $(MOUNTPOINT), run the
#               kernel documentation's flow against it, and leave it mounted
#   make test   install what is missing, build, check the formatting, and run the whole test suite
#
# Also: make unit (the in-process unit tests alone: no root, no /dev/fuse), make format (apply
# .swift-format), make lint (check it), make bench (tsmfs-bench, release build), make man (the
# manual pages, generated from the argument parser, in .build/man).
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
               systemd-analyze:systemd podman:podman runc:runc busybox-static.deb:busybox-static

.PHONY: all deps build release run stop test unit lint format bench clean verifiers man

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
test: lint build verifiers
	@for stale in $$(awk '$$3 == "fuse.tsmfs" && $$2 ~ /^\/tmp\/tsmfs-test-/ {print $$2}' /proc/self/mounts); do \
	    umount -l "$$stale" && rmdir "$$stale"; \
	done
	$(SWIFT) test

# tsmfs(1) and one page per subcommand, tsmfs-mount(1) and so on, from the commands' own help.
MANUAL_OUTPUT = .build/plugins/GenerateManual/outputs/tsmfs
man: deps
	$(SWIFT) package plugin generate-manual --multi-page
	@rm -rf .build/man && mkdir -p .build/man
	@for page in $(MANUAL_OUTPUT)/tsmfs*.1; do \
	    name=$$(basename $$page .1); \
	    [ "$$name" = tsmfs.help ] && continue; \
	    target=$$(echo $$name | tr . -); \
	    upper=$$(echo $$target | tr a-z A-Z); \
	    sed "s/^\.Dt [A-Z.-]* /.Dt $$upper /" $$page > .build/man/$$target.1; \
	done
	@echo "manual pages in .build/man: $$(ls .build/man | tr '\n' ' ')"

clean:
	rm -rf .build
