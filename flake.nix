{
  description = "effect-host: a generic host for Effect-TS (development shell)";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = import nixpkgs { inherit system; };
      in
      {
        # `nix develop`, then `npm ci && npm start` / `npm test` as in the README.
        # Everything else (TypeScript, tsx, vitest, eslint, typedoc, autocannon) comes from
        # package-lock.json through npm, so the shell only needs Node 20 and a few tools.
        devShells.default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_20 # node 20 + npm, as in package.json "engines"
            pkgs.git
            pkgs.jq # reading bench/results/*.json
            pkgs.curl # poking the example app's HTTP endpoints
          ];
          shellHook = ''
            export PATH="$PWD/node_modules/.bin:$PATH"
            echo "effect-host dev shell: node $(node --version), npm $(npm --version)"
          '';
        };

        formatter = pkgs.nixpkgs-fmt;
      });
}
