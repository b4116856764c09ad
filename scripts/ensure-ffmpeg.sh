#!/usr/bin/env bash
# Install Debian's ffmpeg for the live-stream tests when it is missing: it publishes the tests'
# RTMP and SRT sources (PyAV's FFmpeg cannot listen as a publisher).
set -eu
if [ -x /usr/bin/ffmpeg ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends ffmpeg >/dev/null
