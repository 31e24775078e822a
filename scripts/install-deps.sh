#!/bin/bash
# Installs what Plugboard needs to build, run and test, from Debian bookworm.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential meson ninja-build pkg-config clang clang-format clang-tidy cppcheck \
	libclang-rt-14-dev valgrind \
	libfuse3-dev fuse3 liburing-dev libseccomp-dev libjson-c-dev libcap-ng-dev libyaml-dev libmicrohttpd-dev \
	libx11-dev libxext-dev libxau-dev \
	python3 python3-pytest \
	snapd squashfs-tools e2fsprogs util-linux procps psmisc kmod passwd iproute2 \
	sqlite3 git fio bindfs bubblewrap socat hyperfine xxd curl \
	pulseaudio pulseaudio-utils sox \
	pipewire pipewire-pulse wireplumber dbus \
	xvfb x11-utils xauth xdotool x11-apps >/dev/null
