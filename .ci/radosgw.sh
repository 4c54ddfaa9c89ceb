# Sourced: start_throwaway_radosgw starts a single-node Ceph cluster (one mon, one in-memory OSD, radosgw) in a
# temporary folder on 127.0.0.1, creates an S3 user and a bucket, and exports TEST_S3_ENDPOINT, TEST_S3_REGION,
# TEST_S3_BUCKET, TEST_S3_ACCESS_KEY_ID and TEST_S3_SECRET_ACCESS_KEY for the tests (a platform takes the same values
# without the TEST_ prefix; `use_throwaway_radosgw` exports those); stop_throwaway_radosgw stops it and removes the folder. Needs Debian's radosgw,
# ceph-mon, ceph-osd and ceph-common. Everything is throwaway: no authentication inside the cluster (cephx off),
# but radosgw itself checks S3 signatures and presigned-URL expiry for real.
start_throwaway_radosgw() {
  local dir fsid mon_port rgw_port conf i
  dir=$(mktemp -d /tmp/cc-rgw.XXXXXX)
  RGW_TMP=$dir
  free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  conf=$dir/ceph.conf
  mkdir -p "$dir/mon/a" "$dir/osd/0" "$dir/rgw" "$dir/run" "$dir/log"
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_ipv6 = false
ms_bind_msgr1 = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_pg_warn_min_per_osd = 0
osd_crush_chooseleaf_type = 0
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
log_file = $dir/log/\$name.log
pid_file = $dir/run/\$name.pid
keyring = /dev/null
[mon]
mon_data = $dir/mon/a
mon_cluster_log_file = $dir/log/cluster.log
[osd]
osd_data = $dir/osd/0
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_max_object_name_len = 256
osd_max_object_namespace_len = 64
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $dir/rgw
ms_mon_client_mode = crc secure
rgw_dns_name = 127.0.0.1
rgw_thread_pool_size = 64
EOF
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" -i a
  ceph -c "$conf" osd create >/dev/null
  ceph-osd -c "$conf" -i 0 --mkfs >/dev/null 2>&1
  ceph-osd -c "$conf" -i 0
  radosgw -c "$conf" -n client.rgw
  local S3_ENDPOINT="http://127.0.0.1:$rgw_port" S3_REGION=us-east-1 S3_BUCKET=connected-cloud
  local S3_ACCESS_KEY_ID="CCTEST$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
  local S3_SECRET_ACCESS_KEY="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  # radosgw answers once the OSD is up and its pools are made; the user can be created after that.
  for i in $(seq 1 120); do
    curl -s -o /dev/null "$S3_ENDPOINT" && break
    sleep 0.5
  done
  radosgw-admin -c "$conf" user create --uid=connected-cloud --display-name='Connected Cloud tests' \
    --access-key="$S3_ACCESS_KEY_ID" --secret="$S3_SECRET_ACCESS_KEY" >/dev/null
  for i in $(seq 1 60); do
    # radosgw wants the payload's hash in a header, which curl does not add by itself (this is the empty body's).
    curl -sf -X PUT --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" \
      -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
      "$S3_ENDPOINT/$S3_BUCKET" -o /dev/null && break
    sleep 0.5
  done
  export TEST_S3_ENDPOINT=$S3_ENDPOINT TEST_S3_REGION=$S3_REGION TEST_S3_BUCKET=$S3_BUCKET
  export TEST_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID TEST_S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
  echo "throwaway radosgw at $S3_ENDPOINT, bucket $S3_BUCKET"
}

# For a platform started by hand: S3_* from the TEST_S3_* of start_throwaway_radosgw.
use_throwaway_radosgw() {
  export S3_ENDPOINT=$TEST_S3_ENDPOINT S3_REGION=$TEST_S3_REGION S3_BUCKET=$TEST_S3_BUCKET
  export S3_ACCESS_KEY_ID=$TEST_S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY=$TEST_S3_SECRET_ACCESS_KEY
}

stop_throwaway_radosgw() {
  [ -n "${RGW_TMP:-}" ] || return 0
  local name pid
  # radosgw, then the OSD, then the mon: an OSD whose mon is gone hangs on its way out.
  for name in client.rgw osd.0 mon.a; do
    pid=$(cat "$RGW_TMP/run/$name.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$RGW_TMP"
  RGW_TMP=
}
