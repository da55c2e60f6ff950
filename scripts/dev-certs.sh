#!/usr/bin/env bash
# Development certificates for TLS and mTLS, made with openssl: never use them in production.
#
#   bash scripts/dev-certs.sh [out-dir]     (default: certs/ at the repository root, git-ignored)
#
# Writes, as PEM (EC P-256 keys, readable by their owner only):
#   ca.pem, ca-key.pem                    the development CA (10 years)
#   server.pem, server-key.pem            signed by it, for localhost, 127.0.0.1, ::1, greeter
#                                         and stream (the compose service names); serverAuth and
#                                         clientAuth, so that the health probe can present it
#                                         under mTLS
#   client.pem, client-key.pem            a client certificate signed by the CA (CN=dev-client)
#   other-ca.pem, other-ca-key.pem        a second, unrelated CA, and a client certificate it
#   other-client.pem, other-client-key.pem  signed: a client an mTLS server must refuse (tests)
#
# Idempotent: a certificate that still verifies against its CA and matches its key is kept;
# one that is missing, expired, or signed by a CA that was made again is (re)made. Silent on
# success; on failure prints openssl's output and exits non-zero.
set -euo pipefail
command -v openssl >/dev/null || { echo 'dev-certs: openssl is not installed' >&2; exit 1; }

out="${1:-$(cd "$(dirname "$0")/.." && pwd)/certs}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

# Runs openssl quietly; on failure shows what it said and stops.
ossl() {
  if ! openssl "$@" >"$work/log" 2>&1; then
    echo "dev-certs: openssl $1 failed:" >&2
    cat "$work/log" >&2
    exit 1
  fi
}

cat >"$work/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1, DNS:greeter, DNS:stream
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF

key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# valid <name> <ca name>: <name>.pem verifies against the CA (not expired) and <name>-key.pem is
# its key.
valid() {
  local cert="$out/$1.pem" key="$out/$1-key.pem"
  [ -s "$cert" ] && [ -s "$key" ] &&
    openssl verify -CAfile "$out/$2.pem" "$cert" >/dev/null 2>&1 &&
    [ "$(openssl x509 -in "$cert" -noout -pubkey 2>/dev/null)" = "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]
}

# ca <name> <common name>: a self-signed CA, unless a valid one is there.
ca() {
  local name="$1" cn="$2"
  valid "$name" "$name" && return 0
  key "$out/$name-key.pem"
  ossl req -x509 -new -config "$work/openssl.cnf" -extensions ca -key "$out/$name-key.pem" \
    -subj "/CN=$cn" -days 3650 -sha256 -out "$out/$name.pem"
}

# leaf <name> <ca name> <extensions> <common name>: a certificate signed by the CA, unless a
# valid one is there.
leaf() {
  local name="$1" issuer="$2" ext="$3" cn="$4"
  valid "$name" "$issuer" && return 0
  key "$out/$name-key.pem"
  ossl req -new -config "$work/openssl.cnf" -key "$out/$name-key.pem" -subj "/CN=$cn" \
    -out "$work/$name.csr"
  ossl x509 -req -in "$work/$name.csr" -CA "$out/$issuer.pem" -CAkey "$out/$issuer-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 \
    -extfile "$work/openssl.cnf" -extensions "$ext" -out "$out/$name.pem"
}

ca ca 'grpc-monorepo dev CA'
leaf server ca server localhost
leaf client ca client dev-client
ca other-ca 'unrelated dev CA'
leaf other-client other-ca client other-client
# Certificates are public; keys stay owner-only (umask above).
chmod 644 "$out/ca.pem" "$out/server.pem" "$out/client.pem" "$out/other-ca.pem" "$out/other-client.pem"
