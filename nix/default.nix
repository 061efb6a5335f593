# jobproxy for nixpkgs:
#   jobproxy = pkgs.callPackage ./nix { };
# then add it to a derivation's nativeBuildInputs: its setup hook puts the
# link directory `make install` makes ($out/libexec/jobproxy: make, ninja,
# cargo, cmake, ...) first on PATH, so every such tool of the build, at any
# depth, runs behind jobproxy.
#
# On Linux it is built statically with musl (nixpkgs' pkgsStatic): no
# dynamic loader and no glibc start-up, so each of the many jobproxy
# processes of a build starts faster and in a sixth of the memory (the
# README has the figures).  Elsewhere (macOS, the BSDs) pkgsStatic does not give a fully
# static binary: the ordinary stdenv builds it, dynamically linked.
{ lib, stdenv, pkgsStatic }:

let
  static = stdenv.hostPlatform.isLinux;
  env = if static then pkgsStatic.stdenv else stdenv;
in
env.mkDerivation {
  pname = "jobproxy";
  version = "0.2";

  src = lib.cleanSource ./..;

  # pkgsStatic cross-compiles: its compiler has the target's prefix.
  makeFlags = [ "PREFIX=${placeholder "out"}" "CC=${env.cc.targetPrefix}cc" ]
    ++ lib.optional static "STATIC=1";
  enableParallelBuilding = true;

  # The test suite drives the real make, cargo, gcc and a second make
  # built from source: run it with `make check` outside the sandbox.
  doCheck = false;

  # Installed as $out/nix-support/setup-hook, with @out@ substituted.
  setupHook = ./setup-hook.sh;

  meta = {
    description = "Run a build on a private jobserver and give back every token it held";
    platforms = lib.platforms.unix;
    mainProgram = "jobproxy";
  };
}
