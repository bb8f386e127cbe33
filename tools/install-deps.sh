#!/usr/bin/env bash
# Installs gaitlab's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are left alone, and apt is skipped entirely
# when nothing is missing (so a warm machine pays nothing).
set -euo pipefail
pkgs=(build-essential cmake pkg-config git python3-h5py python3-numpy
      libopenmpi-dev openmpi-bin
      libhdf5-openmpi-dev hdf5-tools
      libscalapack-openmpi-dev libopenblas-dev liblapack-dev
      libmujoco-dev libqhull-dev libgl-dev libopengl-dev
      libyaml-dev librandom123-dev libgsl-dev libcmocka-dev
      python3-matplotlib
      slurmctld slurmd slurm-client munge)
# python3-matplotlib, -h5py, -numpy: the paper figures and their tests; the tests also craft
# damaged recordings with h5py. slurmctld, slurmd, slurm-client, munge: the test that runs
# slurm/*.sbatch under a real (private, single-node) SLURM; no system daemon is configured.
# Optional extras: clang (libFuzzer + sanitizers).
if [ "${GAITLAB_EXTRAS:-0}" = 1 ]; then
  pkgs+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
