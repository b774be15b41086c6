#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store's conformance suite (and
# `vigil store migrate`'s test), on a machine that may never have seen the project:
#   - installs Debian's `postgresql` (and openssl) with apt-get when initdb is missing,
#     without letting the package create its own `main` cluster;
#   - runs initdb into a fresh temporary folder, as the `postgres` user when run as root
#     (initdb refuses root), trust authentication, fsync off: the data is thrown away;
#   - serves TLS with a certificate of a CA made here, so a test can connect the way one
#     connects to RDS (sslmode=require plus sslrootcert);
#   - starts the server on a free port of 127.0.0.1 only, and creates database `vigil`.
# Writes tests/postgres/state/env.sh, to source (`set -a; . …; set +a`):
#   VIGIL_TEST_POSTGRES_URL  postgres://vigil@127.0.0.1:<port>/vigil, with
#                            ?sslmode=require&sslrootcert=<CA file> when TLS is on
#   VIGIL_TEST_POSTGRES_CA   the CA certificate the server's certificate chains to
# stop.sh stops the server and deletes the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="$here/state"
log() { printf 'tests/postgres/start.sh: %s\n' "$*" >&2; }

# initdb on PATH, else the newest of Debian's /usr/lib/postgresql/<version>/bin.
find_bin() {
  local initdb
  initdb="$(command -v initdb 2>/dev/null || true)"
  if [[ -z "$initdb" ]]; then
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  [[ -n "$initdb" && -x "$initdb" ]] || return 1
  dirname "$(readlink -f "$initdb")"
}

if ! bin="$(find_bin)"; then
  if [[ "$(id -u)" != 0 ]]; then
    log "initdb is missing; install PostgreSQL (Debian: apt-get install postgresql) or run as root"
    exit 2
  fi
  log "installing PostgreSQL from Debian's packages"
  # The package would create and start a cluster of its own on port 5432: not wanted.
  # A drop-in file (postgresql-common reads createcluster.d), so no conffile of the
  # package is edited and dpkg asks nothing.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/vigil-tests.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    postgresql openssl >/dev/null
  bin="$(find_bin)" || { log "initdb still missing after installing postgresql"; exit 2; }
fi
log "using $("$bin/postgres" --version)"

# A previous run's server, if any, goes first.
if [[ -f "$state/env.sh" ]]; then
  bash "$here/stop.sh" || true
fi
rm -rf "$state"
mkdir -p "$state"

# initdb and the server refuse to run as root: run them as `postgres` (the package's
# user), or as a user made for the purpose if the package was installed some other way.
as_user=()
owner="$(id -un)"
if [[ "$(id -u)" == 0 ]]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  as_user=(runuser -u "$owner" --)
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/vigil-postgres.XXXXXX")"
echo "$data" >"$state/data_dir"
chown "$owner" "$data"
chmod 700 "$data"

# A free port on 127.0.0.1: nothing answers a connection there (a small race with other
# programs picking ports, which a retry of the script settles).
port=""
for _ in $(seq 1 200); do
  candidate=$((20000 + RANDOM % 30000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port="$candidate"
    break
  fi
done
[[ -n "$port" ]] || { log "no free port found on 127.0.0.1"; exit 1; }

"${as_user[@]}" "$bin/initdb" -D "$data/cluster" -U vigil --auth=trust -E UTF8 \
  --locale=C.UTF-8 --no-sync >"$state/initdb.log" 2>&1 \
  || { cat "$state/initdb.log" >&2; exit 1; }

# TLS: a CA, and a certificate for 127.0.0.1 and localhost signed by it.
ssl_opts=""
ca=""
if command -v openssl >/dev/null 2>&1; then
  tls="$data/tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Vigil test CA" \
      -keyout ca.key -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile ext.cnf -out server.pem 2>/dev/null
  )
  chown -R "$owner" "$tls"
  chmod 600 "$tls/server.key"
  ca="$state/ca.pem"
  cp "$tls/ca.pem" "$ca"
  ssl_opts="-c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key"
else
  log "openssl is missing: the server runs without TLS"
fi

"${as_user[@]}" "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 $ssl_opts" \
  >/dev/null || { cat "$data/server.log" >&2; exit 1; }
echo "$bin" >"$state/bin_dir"

"${as_user[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U vigil vigil

# With TLS, the tests connect as one connects to RDS: TLS required, the certificate
# verified against the CA given as sslrootcert.
url="postgres://vigil@127.0.0.1:$port/vigil"
if [[ -n "$ca" ]]; then
  url="$url?sslmode=require&sslrootcert=$ca"
fi
{
  printf 'VIGIL_TEST_POSTGRES_URL=%q\n' "$url"
  [[ -n "$ca" ]] && printf 'VIGIL_TEST_POSTGRES_CA=%q\n' "$ca"
  true
} >"$state/env.sh"
log "PostgreSQL is listening on 127.0.0.1:$port (data in $data); source $state/env.sh"
