#!/usr/bin/env bash
# Makes the stores of the cluster's mutual TLS (docs/security.md, "Making the stores"): a CA, one
# PKCS12 key store per member named, and the trust store every member gets.
#
#   export LAMINAR_CLUSTER_KEY_STORE_PASSWORD='...'
#   deploy/make-cluster-certs.sh serve stage-1 stage-2                                # Compose
#   deploy/make-cluster-certs.sh serve=DNS:laminar-serve-0.laminar-serve stage       # Kubernetes
#
# Each argument is a member NAME, optionally =SUBJECT_ALT_NAMES in OpenSSL's syntax (default
# DNS:NAME); its store is OUT/NAME.p12. The trust store is OUT/cluster-trust.p12.
#
# Every store gets the password in LAMINAR_CLUSTER_KEY_STORE_PASSWORD: members read the trust store
# with it too when LAMINAR_CLUSTER_TRUST_STORE_PASSWORD is unset, and deploy/ passes only the one.
#
# Options (before the names):
#   --out DIR   where the stores go (default: deploy/certs, which docker-compose.multinode.yml mounts)
#   --ca DIR    the CA's key and certificate (default: deploy/cluster-ca). Made when missing, reused
#               when present, so members added later are signed by the same CA. It is never mounted
#               into a member: whoever holds ca.key can make members (docs/security.md).
#   --days N    validity of the member certificates (default 825)
#
# Needs OpenSSL 3 and the JDK's keytool (JAVA_HOME's, else the one on PATH): Java trusts a PKCS12
# certificate entry only with a JDK-specific attribute that OpenSSL 3.0 cannot write.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/certs"
ca_dir="$here/cluster-ca"
days=825

usage() {
  sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --ca) ca_dir="${2:?--ca needs a folder}"; shift 2 ;;
    --days) days="${2:?--days needs a number}"; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "make-cluster-certs: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage

: "${LAMINAR_CLUSTER_KEY_STORE_PASSWORD:?set LAMINAR_CLUSTER_KEY_STORE_PASSWORD to the stores password}"
if [ -n "${LAMINAR_CLUSTER_TRUST_STORE_PASSWORD:-}" ] \
   && [ "$LAMINAR_CLUSTER_TRUST_STORE_PASSWORD" != "$LAMINAR_CLUSTER_KEY_STORE_PASSWORD" ]; then
  echo "make-cluster-certs: LAMINAR_CLUSTER_TRUST_STORE_PASSWORD differs from LAMINAR_CLUSTER_KEY_STORE_PASSWORD;" \
       "this script gives every store the key stores' password (unset the other)" >&2
  exit 2
fi

keytool=keytool
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/keytool" ]; then
  keytool="$JAVA_HOME/bin/keytool"
fi
command -v openssl >/dev/null || { echo "make-cluster-certs: needs openssl" >&2; exit 1; }
command -v "$keytool" >/dev/null || { echo "make-cluster-certs: needs the JDK's keytool (set JAVA_HOME)" >&2; exit 1; }

for member in "$@"; do
  name="${member%%=*}"
  if ! [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    echo "make-cluster-certs: '$name' is not a member name (letters, digits, . _ -)" >&2
    exit 2
  fi
done

# Runs a tool quietly, showing what it said only when it fails.
quiet() {
  local said
  if ! said="$("$@" 2>&1)"; then
    echo "$said" >&2
    echo "make-cluster-certs: failed: $1" >&2
    exit 1
  fi
}

mkdir -p "$out" "$ca_dir"
chmod 700 "$ca_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -f "$ca_dir/ca.key" ]; then
  (umask 077 && quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$ca_dir/ca.key" -out "$ca_dir/ca.crt" -days 3650 -subj "/CN=laminar-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign")
  echo "made the cluster CA: $ca_dir/ca.crt"
else
  echo "signing with the existing CA: $ca_dir/ca.crt"
fi

# The trust store is remade from ca.crt every time, so that it always names the CA that signs.
rm -f "$out/cluster-trust.p12"
quiet "$keytool" -importcert -noprompt -alias laminar-cluster-ca -file "$ca_dir/ca.crt" \
  -keystore "$out/cluster-trust.p12" -storetype PKCS12 -storepass:env LAMINAR_CLUSTER_KEY_STORE_PASSWORD
echo "wrote $out/cluster-trust.p12"

for member in "$@"; do
  name="${member%%=*}"
  sans="DNS:$name"
  [ "$member" != "$name" ] && sans="${member#*=}"
  # serverAuth and clientAuth: a member's certificate both accepts connections and makes them.
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$name.key" -out "$work/$name.csr" \
    -subj "/CN=$name"
  printf "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n" \
    "$sans" > "$work/$name.ext"
  quiet openssl x509 -req -in "$work/$name.csr" -CA "$ca_dir/ca.crt" -CAkey "$ca_dir/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile "$work/$name.ext" -out "$work/$name.crt"
  quiet openssl pkcs12 -export -name "$name" -inkey "$work/$name.key" -in "$work/$name.crt" -certfile "$ca_dir/ca.crt" \
    -out "$out/$name.p12" -passout env:LAMINAR_CLUSTER_KEY_STORE_PASSWORD
  echo "wrote $out/$name.p12 ($sans)"
done

# Readable by the containers' user, whose uid is not the host's: the password protects the keys
# in the stores, and the CA's key, which could make new members, stays in $ca_dir (0700).
chmod 755 "$out"
chmod 644 "$out"/*.p12
