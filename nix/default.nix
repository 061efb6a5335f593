# jobproxy for nixpkgs:
#   jobproxy = pkgs.callPackage ./nix { };
# then add it to a derivation's nativeBuildInputs: its setup hook puts the
# link directory `make install` makes ($out/libexec/jobproxy: make, ninja,
# cargo, cmake, ...) first on PATH, so every such tool of the build, at any
# depth, runs behind jobproxy.
{ lib, stdenv }:

stdenv.mkDerivation {
  pname = "jobproxy";
  version = "0.2";

  src = lib.cleanSource ./..;

  makeFlags = [ "PREFIX=${placeholder "out"}" ];
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
