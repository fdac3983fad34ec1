#!/usr/bin/env bash
# A real S3 for tests (adapted from the team's shared s3-radosgw tool). The `s3`
# ctest fixture runs it through tests/s3/s3_fixture.sh.
# s3-radosgw.sh up DIR [BUCKET] : one-node Ceph 16 (mon + memstore OSD + radosgw, auth none) = real S3 on 127.0.0.1.
#                          Prints S3_ENDPOINT= S3_REGION= S3_ACCESS_KEY= S3_SECRET_KEY= S3_BUCKET= on stdout.
# s3-radosgw.sh down DIR        : stops the daemons by PID (DIR/pids) in the order rgw, osd, mon; removes DIR.
# Needs ceph-mon ceph-osd radosgw ceph-common curl python3 (scripts/install-deps.sh installs them).
set -euo pipefail
alive() { [ -r /proc/$1/stat ] && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }  # zombie = dead
down() {
  local DIR=$1
  if [ -f "$DIR/pids" ]; then
    for p in $(tac "$DIR/pids"); do              # rgw, osd, mon: all at once hangs (osd 5 s, rgw 120 s)
      kill "$p" 2>/dev/null || continue
      for i in $(seq 30); do alive "$p" || break; sleep 0.1; done
      if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
    done
  fi
  rm -rf "$DIR"
}
up() {
  local DIR=$1 BUCKET=${2:-proximadb-test}
  mkdir -p "$DIR"/{run,log,mon,osd}
  trap "rc=\$?; if [ \$rc -ne 0 ]; then tail -n 5 '$DIR'/log/*.log >&2 || true; down '$DIR'; fi" EXIT  # on failure: stop what started
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  local MON_PORT RGW_PORT FSID OSD_UUID AK SK CONF C OSD_ID code=000
  MON_PORT=$(free_port); RGW_PORT=$(free_port); FSID=$(cat /proc/sys/kernel/random/uuid); OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  AK=PDB$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
  SK=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
  CONF=$DIR/ceph.conf; C="-c $CONF"
  cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
# with auth none, radosgw fails "get_initial_auth_request returned -13" without these six
ms mon client mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms cluster mode = crc
ms mon service mode = crc
ms service mode = crc
public network = 127.0.0.0/8
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
keyring = /dev/null
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 2147483648
[mon]
# default 1 s: radosgw's first start (pool creation) then takes ~9 s instead of ~0.5 s
paxos propose interval = 0.05
paxos min wait = 0.01
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw thread pool size = 32
CONF
  : > "$DIR/pids"
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$DIR/monmap" $C
  ceph-mon -f -i a $C </dev/null >>"$DIR/log/daemons.out" 2>&1 & echo $! >> "$DIR/pids"     # -f: no fork, so $! is the daemon; stdout must not stay on the caller's pipe
  ceph $C --connect-timeout 15 mon stat >/dev/null
  OSD_ID=$(ceph $C osd new "$OSD_UUID")
  mkdir -p "$DIR/osd/ceph-$OSD_ID"
  ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" $C 2>>"$DIR/log/stderr"
  ceph $C osd crush add-bucket localhost host >/dev/null 2>&1
  ceph $C osd crush move localhost root=default >/dev/null 2>&1
  ceph-osd -f -i "$OSD_ID" $C </dev/null >>"$DIR/log/daemons.out" 2>&1 & echo $! >> "$DIR/pids"
  ceph $C osd crush add "osd.$OSD_ID" 1.0 host=localhost >/dev/null 2>&1
  for i in $(seq 300); do ceph $C osd stat 2>/dev/null | grep -q " 1 up" && break; sleep 0.1; done
  radosgw -f $C -n client.rgw </dev/null >>"$DIR/log/daemons.out" 2>&1 & echo $! >> "$DIR/pids"
  for i in $(seq 600); do curl -fs "http://127.0.0.1:$RGW_PORT/" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$RGW_PORT/" >/dev/null || { echo "radosgw not ready" >&2; return 1; }
  radosgw-admin $C user create --uid=pdb --display-name=pdb --access-key="$AK" --secret-key="$SK" >/dev/null
  for i in $(seq 50); do     # x-amz-content-sha256 is mandatory for radosgw; curl 7.88 does not send it
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
       -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "http://127.0.0.1:$RGW_PORT/$BUCKET") || true
    [ "$code" = 200 ] && break; sleep 0.2
  done
  [ "$code" = 200 ] || { echo "bucket create failed: HTTP $code" >&2; return 1; }
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nS3_REGION=us-east-1\nS3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\nS3_BUCKET=%s\n' \
    "$RGW_PORT" "$AK" "$SK" "$BUCKET"
}
case "${1:-}" in
  up)   up "$(realpath -m "$2")" "${3:-proximadb-test}" ;;
  down) down "$(realpath -m "$2")" ;;
  *)    echo "usage: $0 up DIR [BUCKET] | down DIR" >&2; exit 2 ;;
esac
