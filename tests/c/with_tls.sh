#!/usr/bin/env bash
# Runs a command with nginx (a server no one here wrote) serving HTTPS on 127.0.0.1 at a
# free port, with a certificate for 127.0.0.1 signed by a CA this script makes with openssl:
# exports SF_TEST_TLS_URL (the https:// base URL) and SF_TEST_TLS_CA (the CA's PEM file),
# and stops nginx whatever happens. It serves one JSON file, /v1/transcription/jobs/job_tls.
#
#   usage: tests/c/with_tls.sh command [args...]
set -euo pipefail

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
chmod 755 "$dir" # nginx's worker (another user when run as root) reads the files
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
(
    cd "$dir"
    openssl req -x509 -days 2 -subj "/CN=surefoot C test CA" "${ec[@]}" -keyout ca.key -out ca.pem \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -subj /CN=server "${ec[@]}" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -out server.pem -extfile server.ext
) >/dev/null 2>&1
mkdir -p "$dir/html/v1/transcription/jobs"
printf '{"id": "job_tls", "status": "completed", "audio_url": "https://example.com/a.wav", "served_by": "nginx"}' \
    >"$dir/html/v1/transcription/jobs/job_tls"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1; daemon off; error_log $dir/error.log crit; pid $dir/nginx.pid;
events { worker_connections 64; }
http {
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  access_log off;
  default_type application/json;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $dir/server.pem; ssl_certificate_key $dir/server.key;
    root $dir/html;
  }
}
CONF
nginx=nginx
[ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx
"$nginx" -p "$dir" -c "$dir/nginx.conf" &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
export SF_TEST_TLS_URL="https://127.0.0.1:$port"
export SF_TEST_TLS_CA="$dir/ca.pem"
echo "with_tls.sh: nginx over HTTPS at $SF_TEST_TLS_URL: $*"
"$@"
