#!/usr/bin/env bash
# MeshCentral end to end: a real, self-hosted RMM whose server pushes agents to every endpoint.
# Fetches a pinned meshcentral release from the npm registry, pins all of its agents from the
# vendor's own hash list (checked against the files), signs the manifests, verifies the agents
# as installed, lets "the server" re-sign the Windows agents with its own certificate as
# MeshCentral does at start-up, and shows which copies pass and which fail.
#
#   npm run example:meshcentral [-- WORKDIR]
#
# Needs: node (the project's), npm (registry access, first run only), openssl, osslsigncode, tar.
set -euo pipefail

VERSION=1.1.55
INTEGRITY='sha512-imC+3LRoM+01+Rhcm1vg5WMKFiKUx/eAkM1AUUEVuVZxGuxVFHn9QaxKoI9xXIEJosg3+1391KBoXL7ZWjIf9w=='
PRODUCT=meshcentral-agent

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RMM_VERIFY_CACHE:-$root/node_modules/.cache/rmm-verify}
work=${1:-$(mktemp -d)}
mkdir -p "$cache" "$work"
work=$(cd "$work" && pwd)

rv() { node "$root/bin/rmm-verify.js" "$@"; }
step() { printf '\n== %s\n' "$*"; }
# Runs a command that must exit with the given status; anything else stops the walkthrough.
expect_exit() {
  local want=$1 got=0
  shift
  "$@" || got=$?
  if [ "$got" -ne "$want" ]; then
    echo "walkthrough: expected exit $want, got $got from: $*" >&2
    exit 1
  fi
  echo "-> exit $got, as expected"
}
integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 | tr -d '\n')"; }

step "1. Fetch meshcentral@$VERSION from the npm registry (cached, checked against its integrity)"
tgz=$cache/meshcentral-$VERSION.tgz
if [ ! -f "$tgz" ] || [ "$(integrity_of "$tgz")" != "$INTEGRITY" ]; then
  rm -f "$tgz"
  (cd "$cache" && npm pack "meshcentral@$VERSION" --silent >/dev/null)
fi
if [ "$(integrity_of "$tgz")" != "$INTEGRITY" ]; then
  echo "walkthrough: $tgz does not have the registry integrity $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/agents
agents=$work/package/agents
echo "agents: $agents"

step "2. Keys: the MSP's manifest-signing key (trust root) and the MeshCentral server's code-signing certificate"
rm -rf "$work/private" "$work/keys" "$work/manifests"
mkdir -p "$work/keys" "$work/manifests"
rv keys generate --name msp-release --out "$work/private" --add-to "$work/keys/trust.json" --product "$PRODUCT"
openssl req -x509 -newkey rsa:3072 -nodes -days 365 -keyout "$work/private/codesign.key" \
  -out "$work/keys/meshcentral-codesign.crt" -subj "/O=Example MSP/CN=Example MSP MeshCentral Server" \
  -addext extendedKeyUsage=codeSigning -addext keyUsage=digitalSignature 2>/dev/null

step "3. Pin every agent from MeshCentral's own hashagents.json; pin checks each size and SHA-384 against the file"
vendor=$work/manifests/meshcentral-vendor.json
served=$work/manifests/$PRODUCT.json
rv pin --from "$agents/hashagents.json" --manifest "$vendor" --product "$PRODUCT" --vendor MeshCentral --version "$VERSION"
# The names MeshAgent has in inventories (install folder and service "Mesh Agent", meshagent[.exe]),
# so that drift counts them as this managed product, not as an unapproved remote-access tool.
rv pin --from "$agents/hashagents.json" --resigned-by "$work/keys/meshcentral-codesign.crt" \
  --manifest "$served" --product "$PRODUCT" --vendor MeshCentral --version "$VERSION" \
  --alias "Mesh Agent" --alias MeshAgent.exe --alias meshagent
rv manifest sign "$vendor" --key "$work/private/msp-release.key"
rv manifest sign "$served" --key "$work/private/msp-release.key"

# The files hashagents.json names, as installed.
mapfile -t listed < <(node -e '
  const list = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const entry of Object.values(list)) console.log(entry.filename);' "$agents/hashagents.json")
verify() { rv verify "$@" --trust "$work/keys/trust.json" --no-state; }

step "4. Verify the ${#listed[@]} agents as installed: the vendor's exact bytes"
(cd "$agents" && expect_exit 0 verify "${listed[@]}" --manifest "$vendor")

step "5. The server re-signs the Windows agents with its certificate (as MeshCentral does at start-up)"
rm -rf "$work/served" && mkdir -p "$work/served"
for name in "${listed[@]}"; do
  case $name in
    *.exe)
      osslsigncode sign -certs "$work/keys/meshcentral-codesign.crt" -key "$work/private/codesign.key" \
        -n "MeshCentral Agent" -in "$agents/$name" -out "$work/served/$name" >/dev/null
      echo "re-signed $name" ;;
    *) cp "$agents/$name" "$work/served/$name" ;;
  esac
done
(cd "$work/served" && expect_exit 0 verify "${listed[@]}" --manifest "$served")

step "6. An attacker on the server swaps in changed code and re-signs it with the server's key: fails"
mkdir -p "$work/attack/changed"
cp "$agents/MeshService64.exe" "$work/attack/patched.exe"
printf '\x90' | dd of="$work/attack/patched.exe" bs=1 seek=8192 conv=notrunc status=none
osslsigncode sign -certs "$work/keys/meshcentral-codesign.crt" -key "$work/private/codesign.key" \
  -in "$work/attack/patched.exe" -out "$work/attack/changed/MeshService64.exe" >/dev/null
expect_exit 1 verify "$work/attack/changed/MeshService64.exe" --manifest "$served"

step "7. The genuine agent signed by anyone else's key: fails"
mkdir -p "$work/attack/other-key"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$work/attack/other.key" -out "$work/attack/other.crt" \
  -subj "/CN=Example MSP MeshCentral Server" -addext extendedKeyUsage=codeSigning 2>/dev/null
osslsigncode sign -certs "$work/attack/other.crt" -key "$work/attack/other.key" \
  -in "$agents/MeshService64.exe" -out "$work/attack/other-key/MeshService64.exe" >/dev/null
expect_exit 1 verify "$work/attack/other-key/MeshService64.exe" --manifest "$served"

step "8. The vendor's unsigned agent where the server's signature is required: fails"
expect_exit 1 verify "$agents/MeshService64.exe" --manifest "$served"

step "Done: every verdict as expected (work folder: $work)"
