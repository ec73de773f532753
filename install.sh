#!/bin/bash
# Installs k3s-ts from this checkout, like upstream's get.k3s.io script but with no download
# beyond Debian's packages and the npm registry. Run as root (or with sudo).
#
#   ./install.sh                         install, then start a single-node server
#   ./install.sh --rootless-user NAME    also make sure NAME can run `k3s server --rootless`
#   ./install.sh --no-start              install only
#   ./install.sh --test-deps             also install what the test suite needs (etcd, PostgreSQL, MariaDB, ...)
#   ./install.sh --killall               stop every k3s process this install started (k3s-killall.sh)
#   ./install.sh --uninstall             remove what the install added (k3s-uninstall.sh)
#
# Environment, with upstream's names where upstream has one:
#   INSTALL_K3S_EXEC         arguments for the k3s command of the service (default "server")
#   INSTALL_K3S_SKIP_START   true: do not start or restart the server (same as --no-start)
#   INSTALL_K3S_SKIP_APT     true: do not install Debian packages (they must be present)
#   INSTALL_K3S_BIN_DIR      where k3s, k3s-killall.sh and k3s-uninstall.sh go (/usr/local/bin)
#   INSTALL_K3S_LIB_DIR      where the built product goes (/usr/local/lib/k3s)
#   INSTALL_K3S_SYSTEMD_DIR  system units (/etc/systemd/system); user units go to /etc/systemd/user
#
# Idempotent: every step checks before it changes anything, and a second run says that nothing
# changed. What the install added (Debian packages that were missing, subuid ranges, the
# /dev/net/tun mode) is recorded, so --uninstall undoes exactly that and nothing else.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN_DIR="${INSTALL_K3S_BIN_DIR:-/usr/local/bin}"
LIB_DIR="${INSTALL_K3S_LIB_DIR:-/usr/local/lib/k3s}"
SYSTEMD_DIR="${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}"
USER_UNIT_DIR="${INSTALL_K3S_USER_UNIT_DIR:-/etc/systemd/user}"
STATE_DIR="${LIB_DIR}.install-state"
EXEC_ARGS="${INSTALL_K3S_EXEC:-server}"
SKIP_START="${INSTALL_K3S_SKIP_START:-false}"
SKIP_APT="${INSTALL_K3S_SKIP_APT:-false}"
RUN_DIR=/run/k3s
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="${INSTALL_K3S_LOG_FILE:-/var/log/k3s.log}"
UDEV_RULE=/etc/udev/rules.d/60-k3s-tun.rules
MODULES_FILE=/etc/modules-load.d/k3s.conf

PACKAGES=(containerd runc rootlesskit slirp4netns uidmap containernetworking-plugins iptables
  conntrack busybox-static dbus-user-session)
# What the test suite starts for real besides the product: external datastores, real etcdctl,
# a registry, a systemd user manager, network namespaces.
TEST_PACKAGES=(etcd-server etcd-client postgresql mariadb-server docker-registry dbus systemd iproute2 kmod openssl)

CHANGED=0
info() { printf 'k3s install: %s\n' "$*"; }
changed() { CHANGED=1; printf '  [changed] %s\n' "$*"; }
same() { printf '  [ok]      %s\n' "$*"; }
die() { printf 'k3s install: error: %s\n' "$*" >&2; exit 1; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

ACTION=install
ROOTLESS_USER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) ACTION=uninstall ;;
    --killall) ACTION=killall ;;
    --no-start) SKIP_START=true ;;
    --test-deps) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
    --rootless-user) [ $# -ge 2 ] || die "--rootless-user needs a user name"; ROOTLESS_USER="$2"; shift ;;
    --rootless-user=*) ROOTLESS_USER="${1#*=}" ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument \"$1\" (see ./install.sh --help)" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "run as root, e.g. \"sudo $0\" (a rootless server then runs as your user: see docs/rootless.md)"

# When run with sudo by a user, that user is the one who will run rootless k3s.
if [ -z "$ROOTLESS_USER" ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  ROOTLESS_USER="$SUDO_USER"
fi

has_systemd() { [ -d /run/systemd/system ] && [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; }

# Writes $2 to $1 only if the content differs; reports either way.
install_file() {
  local dest="$1" content="$2" mode="$3" what="$4"
  if [ -f "$dest" ] && [ "$(cat "$dest")" = "$content" ] && [ "$(stat -c %a "$dest")" = "$mode" ]; then
    same "$what"
  else
    mkdir -p "$(dirname "$dest")"
    printf '%s\n' "$content" > "$dest.tmp.$$"
    chmod "$mode" "$dest.tmp.$$"
    mv -f "$dest.tmp.$$" "$dest"
    changed "$what"
  fi
}

record() { mkdir -p "$STATE_DIR"; grep -qxF "$2" "$STATE_DIR/$1" 2>/dev/null || printf '%s\n' "$2" >> "$STATE_DIR/$1"; }

step_packages() {
  if [ "$SKIP_APT" = true ]; then same "Debian packages (skipped: INSTALL_K3S_SKIP_APT)"; return; fi
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then same "Debian packages: ${PACKAGES[*]}"; return; fi
  info "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "apt-get update failed: check the machine's Debian sources"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed: run it by hand to see why"
  for p in "${missing[@]}"; do record packages "$p"; done
  changed "Debian packages installed: ${missing[*]}"
}

tree_hash() { (cd "$1" && find "${@:2}" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }

step_build() {
  command -v node >/dev/null || die "node (Node.js 20) is not on PATH: install it first"
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $(node --version) is too old: k3s-ts needs Node.js 20 or newer"
  cd "$SRC_DIR"
  local lock_hash; lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ -d node_modules ] && [ "$(cat node_modules/.k3s-lock-hash 2>/dev/null)" = "$lock_hash" ]; then
    same "npm dependencies"
  else
    info "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed: run it in $SRC_DIR to see why"
    printf '%s\n' "$lock_hash" > node_modules/.k3s-lock-hash
    changed "npm dependencies"
  fi
  local src_hash; src_hash="$(tree_hash . src rootlesskit test scripts package.json package-lock.json tsconfig.json)"
  if [ -f dist/.k3s-src-hash ] && [ "$(cat dist/.k3s-src-hash)" = "$src_hash" ]; then
    same "build (dist/)"
  else
    info "building"
    npm run build --silent >/dev/null || die "the build failed: run \"npm run build\" in $SRC_DIR to see why"
    printf '%s\n' "$src_hash" > dist/.k3s-src-hash
    changed "build (dist/)"
  fi
}

# The product is copied to a root-owned, world-readable place so every user (rootless) can run it.
step_product() {
  local want; want="$(cat "$SRC_DIR/dist/.k3s-src-hash")-$(cat "$SRC_DIR/node_modules/.k3s-lock-hash")"
  if [ -f "$LIB_DIR/.k3s-install-hash" ] && [ "$(cat "$LIB_DIR/.k3s-install-hash")" = "$want" ]; then
    same "product in $LIB_DIR"
  else
    rm -rf "$LIB_DIR.new"
    mkdir -p "$LIB_DIR.new"
    cp -a "$SRC_DIR/dist" "$SRC_DIR/node_modules" "$SRC_DIR/package.json" "$SRC_DIR/package-lock.json" "$LIB_DIR.new/"
    cp -a "$SRC_DIR/units" "$LIB_DIR.new/units"
    mkdir -p "$LIB_DIR.new/docs" && cp -a "$SRC_DIR/README.md" "$SRC_DIR"/docs/*.md "$LIB_DIR.new/docs/"
    cp -a "$SRC_DIR/install.sh" "$LIB_DIR.new/install.sh"
    # An installed copy has no .git: k3s --version reads the commit from here.
    git -C "$SRC_DIR" rev-parse HEAD > "$LIB_DIR.new/GIT_COMMIT" 2>/dev/null || rm -f "$LIB_DIR.new/GIT_COMMIT"
    (cd "$LIB_DIR.new" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm prune in $LIB_DIR.new failed"
    printf '%s\n' "$want" > "$LIB_DIR.new/.k3s-install-hash"
    chmod -R a+rX "$LIB_DIR.new"
    rm -rf "$LIB_DIR.old"
    [ -d "$LIB_DIR" ] && mv "$LIB_DIR" "$LIB_DIR.old"
    mv "$LIB_DIR.new" "$LIB_DIR"
    rm -rf "$LIB_DIR.old"
    changed "product in $LIB_DIR"
  fi
  local node; node="$(command -v node)"
  # A shell wrapper, not a symlink: rootless mode hands over to rootlesskit through it (exec).
  install_file "$BIN_DIR/k3s" "$(sed -e "s|@NODE@|$node|" -e "s|@MAIN@|$LIB_DIR/dist/bundle/k3s.mjs|" -e "s|@LAUNCHER@|$LIB_DIR/dist/bundle/k3s-launcher.cjs|" "$SRC_DIR/src/cli/k3s-wrapper.sh.tmpl")" 755 "$BIN_DIR/k3s"
  install_file "$BIN_DIR/k3s-killall.sh" "#!/bin/sh
# Stops every k3s process and the server install.sh started; keeps data. Installed by install.sh.
# Run by a user (not root), it stops that user's rootless k3s instead: k3s rootless killall.
[ \"\$(id -u)\" -eq 0 ] || exec $BIN_DIR/k3s rootless killall \"\$@\"
INSTALL_K3S_BIN_DIR=$BIN_DIR INSTALL_K3S_LIB_DIR=$LIB_DIR INSTALL_K3S_SYSTEMD_DIR=$SYSTEMD_DIR INSTALL_K3S_USER_UNIT_DIR=$USER_UNIT_DIR exec /bin/bash $LIB_DIR/install.sh --killall" 755 "$BIN_DIR/k3s-killall.sh"
  install_file "$BIN_DIR/k3s-uninstall.sh" "#!/bin/sh
# Removes k3s-ts and its data, and what install.sh added to the machine. Installed by install.sh.
INSTALL_K3S_BIN_DIR=$BIN_DIR INSTALL_K3S_LIB_DIR=$LIB_DIR INSTALL_K3S_SYSTEMD_DIR=$SYSTEMD_DIR INSTALL_K3S_USER_UNIT_DIR=$USER_UNIT_DIR exec /bin/bash $LIB_DIR/install.sh --uninstall" 755 "$BIN_DIR/k3s-uninstall.sh"
}

unit_text() {
  local text; text="$(cat "$SRC_DIR/units/$1")"
  if [ "$1" = k3s.service ]; then
    text="$(printf '%s\n' "$text" | sed "s|^ExecStart=.*|ExecStart=$BIN_DIR/k3s $EXEC_ARGS|")"
  else
    text="$(printf '%s\n' "$text" | sed "s|/usr/local/bin/k3s|$BIN_DIR/k3s|")"
  fi
  printf '%s' "$text"
}

step_units() {
  mkdir -p "$STATE_DIR" && printf '%s\n' "$EXEC_ARGS" > "$STATE_DIR/exec"
  install_file "$SYSTEMD_DIR/k3s.service" "$(unit_text k3s.service)" 644 "$SYSTEMD_DIR/k3s.service"
  install_file "$SYSTEMD_DIR/k3s-agent.service" "$(unit_text k3s-agent.service)" 644 "$SYSTEMD_DIR/k3s-agent.service"
  install_file "$USER_UNIT_DIR/k3s-rootless.service" "$(unit_text k3s-rootless.service)" 644 "$USER_UNIT_DIR/k3s-rootless.service (systemctl --user)"
  if has_systemd && [ "$CHANGED" = 1 ]; then systemctl daemon-reload; fi
}

# slirp4netns opens /dev/net/tun as the user; these VMs ship it 0600 and have no udev to fix it.
step_tun() {
  [ -c /dev/net/tun ] || { mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; record tun created; changed "/dev/net/tun created"; }
  local mode; mode="$(stat -c %a /dev/net/tun)"
  if [ "$mode" = 666 ]; then same "/dev/net/tun usable by users (0666)"; else
    record tun "mode $mode"; chmod 0666 /dev/net/tun; changed "/dev/net/tun mode $mode -> 0666"
  fi
  install_file "$UDEV_RULE" 'KERNEL=="tun", GROUP="root", MODE="0666"' 644 "udev rule keeping /dev/net/tun 0666 after reboot"
}

# Pods on one bridge meet iptables (NetworkPolicy, Service replies) only with br_netfilter; a
# rootless server cannot load it, so root does, now and at every boot.
step_modules() {
  install_file "$MODULES_FILE" 'br_netfilter' 644 "$MODULES_FILE (br_netfilter loaded at boot)"
  if [ -d /proc/sys/net/bridge ]; then same "br_netfilter loaded"
  elif modprobe br_netfilter 2>/dev/null; then changed "br_netfilter loaded"
  else info "warning: could not load br_netfilter: NetworkPolicy will not apply between pods of one node (see docs/networking.md)"
  fi
}

step_rootless_user() {
  [ -n "$ROOTLESS_USER" ] || return 0
  id "$ROOTLESS_USER" >/dev/null 2>&1 || die "--rootless-user: no user named \"$ROOTLESS_USER\""
  local file kind
  for file in /etc/subuid /etc/subgid; do
    kind="${file#/etc/sub}"
    local count; count="$(awk -F: -v u="$ROOTLESS_USER" '$1 == u { n += $3 } END { print n + 0 }' "$file" 2>/dev/null || echo 0)"
    if [ "$count" -ge 65536 ]; then same "$ROOTLESS_USER has $count sub${kind}s in $file"; continue; fi
    local start; start="$(awk -F: 'BEGIN { m = 100000 } { e = $2 + $3; if (e > m) m = e } END { print m }' "$file" 2>/dev/null || echo 100000)"
    local range="$start-$((start + 65535))"
    if [ "$kind" = uid ]; then usermod --add-subuids "$range" "$ROOTLESS_USER"; else usermod --add-subgids "$range" "$ROOTLESS_USER"; fi
    record "sub$kind" "$ROOTLESS_USER $range"
    changed "$ROOTLESS_USER got sub${kind}s $range in $file"
  done
}

server_pid() { local p; p="$(cat "$PID_FILE" 2>/dev/null || true)"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }

# The value of a flag in the service's arguments ($1 long form, $2 short form), else $3.
exec_flag() {
  local prev="" a
  for a in $EXEC_ARGS; do
    case "$prev" in "$1"|"$2") echo "$a"; return ;; esac
    case "$a" in "$1"=*) echo "${a#*=}"; return ;; esac
    prev="$a"
  done
  echo "$3"
}
kubeconfig_path() { exec_flag --write-kubeconfig -o /etc/rancher/k3s/k3s.yaml; }
data_dir_path() { exec_flag --data-dir -d /var/lib/rancher/k3s; }

step_start() {
  if [ "$SKIP_START" = true ]; then same "server not started (--no-start)"; return; fi
  if has_systemd; then
    systemctl is-enabled --quiet k3s 2>/dev/null || { systemctl enable k3s >/dev/null 2>&1; changed "k3s.service enabled"; }
    if [ "$CHANGED" = 1 ]; then systemctl restart k3s; changed "k3s.service (re)started"; else
      systemctl is-active --quiet k3s || { systemctl start k3s; changed "k3s.service started"; }
      same "k3s.service running"
    fi
  else
    # No systemd as PID 1 (containers, these VMs): run the server in the background ourselves.
    local pid; pid="$(server_pid || true)"
    local args_file="$STATE_DIR/server.args"
    if [ -n "$pid" ] && [ "$CHANGED" = 0 ] && [ "$(cat "$args_file" 2>/dev/null)" = "$EXEC_ARGS" ]; then
      same "k3s server running (pid $pid, log $LOG_FILE)"; return
    fi
    [ -n "$pid" ] && stop_pid "$pid"
    mkdir -p "$STATE_DIR"
    # shellcheck disable=SC2086 # EXEC_ARGS is a word list by design, as upstream's INSTALL_K3S_EXEC
    setsid "$BIN_DIR/k3s" $EXEC_ARGS >>"$LOG_FILE" 2>&1 < /dev/null &
    echo $! > "$PID_FILE"
    printf '%s\n' "$EXEC_ARGS" > "$args_file"
    changed "k3s $EXEC_ARGS started (pid $!, log $LOG_FILE)"
  fi
  wait_ready
}

wait_ready() {
  local kubeconfig; kubeconfig="$(kubeconfig_path)"
  local deadline=$((SECONDS + ${INSTALL_K3S_READY_TIMEOUT:-90}))
  while [ $SECONDS -lt $deadline ]; do
    if [ -f "$kubeconfig" ] && KUBECONFIG="$kubeconfig" KUBECACHEDIR="$STATE_DIR/kubectl-cache" \
        kubectl get --raw=/readyz >/dev/null 2>&1; then
      info "ready: KUBECONFIG=$kubeconfig kubectl get namespaces"
      return 0
    fi
    if ! has_systemd && [ -z "$(server_pid || true)" ]; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "k3s server exited during startup: the lines above are the end of $LOG_FILE"
    fi
    sleep 0.5
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "k3s server did not become ready within ${INSTALL_K3S_READY_TIMEOUT:-90}s (log: $LOG_FILE)"
}

stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

do_killall() {
  if has_systemd; then
    systemctl stop k3s k3s-agent 2>/dev/null || true
  fi
  local pid; pid="$(server_pid || true)"
  [ -n "$pid" ] && { stop_pid "$pid"; info "stopped k3s server (pid $pid)"; }
  rm -f "$PID_FILE" "$STATE_DIR/server.args"
  # Any other k3s processes started from this install (root's, not users' rootless ones).
  local p
  for p in $(pgrep -u 0 -f "$LIB_DIR/dist/(bundle/k3s.mjs|src/cli/main.js)" || true); do stop_pid "$p"; info "stopped k3s process $p"; done
  # Containers outlive a k3s restart by design (their shims are separate processes); killall
  # stops them too, as upstream's k3s-killall.sh does: each shim with its container processes.
  [ -f "$STATE_DIR/exec" ] && EXEC_ARGS="$(cat "$STATE_DIR/exec")"
  local data_dir; data_dir="$(data_dir_path)"
  # containerd has a process group of its own: k3s stops it, but not when k3s was killed.
  for p in $(pgrep -f "^containerd --config $data_dir/agent/etc/containerd/config.toml" || true); do stop_pid "$p"; info "stopped containerd $p"; done
  kill_containers "$RUN_DIR/containerd" "$data_dir/agent/run/containerd"
  for p in $(pgrep -f "containerd-shim.* -address ($RUN_DIR/containerd|$data_dir/)" || true); do
    kill_tree "$p"; info "stopped container shim $p and its containers"
  done
  # Mounts the agent made (pod volumes, sandbox namespaces) under the data dir and /run/k3s.
  local mount
  for mount in $(awk -v a="$data_dir/" -v b="$RUN_DIR/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$mount" 2>/dev/null && info "unmounted $mount"
  done
  # The pod bridge and the packet filter rules belong to the node: only when this install ran one.
  case " $EXEC_ARGS " in
    *" --disable-agent "*) ;;
    *)
      ip link show cni0 >/dev/null 2>&1 && ip link delete cni0 && info "removed the cni0 bridge"
      remove_node_rules
      ;;
  esac
  return 0
}

# Every rule and chain the node made, as upstream's k3s-killall.sh removes them: the service
# proxy's KUBE-*, the network policies' and pod masquerading's K3S-*, the portmap plugin's CNI-*.
# Other rules are restored as they were.
remove_node_rules() {
  local tool before after
  for tool in iptables ip6tables; do
    command -v "$tool-save" >/dev/null 2>&1 || continue
    before="$("$tool-save" 2>/dev/null)" || continue
    after="$(printf '%s\n' "$before" | grep -v -E -- '(KUBE|K3S|CNI)-' || true)"
    [ "$before" = "$after" ] && continue
    printf '%s\n' "$after" | "$tool-restore" && info "removed the node's $tool rules (KUBE-*, K3S-*, CNI-*)"
  done
}

# Every process in the cgroup of a task (sandbox or container) of these containerd state dirs,
# the shim's children and the orphans of a shim killed earlier (those are nobody's children).
kill_containers() {
  local state bundle path p n=0
  for state in "$@"; do
    for bundle in "$state"/io.containerd.runtime.v2.task/*/*; do
      [ -f "$bundle/config.json" ] || continue
      path="$(grep -o '"cgroupsPath":"/[^"]*"' "$bundle/config.json" | cut -d'"' -f4 || true)"
      case "$path" in */"${bundle##*/}") ;; *) continue ;; esac
      # The same processes show in every hierarchy: each is killed (and counted) once.
      for p in $(cat /sys/fs/cgroup/*"$path"/cgroup.procs /sys/fs/cgroup"$path"/cgroup.procs 2>/dev/null | sort -u); do
        kill -KILL "$p" 2>/dev/null && n=$((n + 1))
      done
    done
  done
  [ "$n" -eq 0 ] || info "killed $n container processes"
}

kill_tree() {
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null || true
}

do_uninstall() {
  do_killall
  if has_systemd; then systemctl disable k3s k3s-agent >/dev/null 2>&1 || true; fi
  rm -f "$SYSTEMD_DIR/k3s.service" "$SYSTEMD_DIR/k3s-agent.service" "$USER_UNIT_DIR/k3s-rootless.service"
  has_systemd && systemctl daemon-reload
  rm -f "$BIN_DIR/k3s" "$BIN_DIR/k3s-killall.sh" "$BIN_DIR/k3s-uninstall.sh" "$UDEV_RULE" "$MODULES_FILE"
  # Data and configuration of the installed service, as upstream's k3s-uninstall.sh removes them.
  [ -f "$STATE_DIR/exec" ] && EXEC_ARGS="$(cat "$STATE_DIR/exec")"
  local kubeconfig; kubeconfig="$(kubeconfig_path)"
  rm -rf "$(data_dir_path)" "$kubeconfig" "$RUN_DIR"
  case "$kubeconfig" in /etc/rancher/k3s/*) rm -rf /etc/rancher/k3s ;; esac
  rmdir /var/lib/rancher /etc/rancher 2>/dev/null || true
  local line user range
  while read -r user range; do
    [ -n "$user" ] && usermod --del-subuids "$range" "$user" 2>/dev/null && info "removed subuids $range of $user"
  done < <(cat "$STATE_DIR/subuid" 2>/dev/null || true)
  while read -r user range; do
    [ -n "$user" ] && usermod --del-subgids "$range" "$user" 2>/dev/null && info "removed subgids $range of $user"
  done < <(cat "$STATE_DIR/subgid" 2>/dev/null || true)
  while read -r line; do
    case "$line" in "mode "*) chmod "${line#mode }" /dev/net/tun && info "/dev/net/tun mode back to ${line#mode }" ;; esac
  done < <(cat "$STATE_DIR/tun" 2>/dev/null || true)
  if [ -s "$STATE_DIR/packages" ]; then
    mapfile -t pkgs < "$STATE_DIR/packages"
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "${pkgs[@]}" >/dev/null && info "removed Debian packages it had installed: ${pkgs[*]}"
  fi
  rm -rf "$LIB_DIR" "$STATE_DIR"
  info "uninstalled"
}

case "$ACTION" in
  killall) do_killall; exit 0 ;;
  uninstall) do_uninstall; exit 0 ;;
esac

info "installing k3s-ts from $SRC_DIR"
step_packages
step_build
step_product
step_units
step_tun
step_modules
step_rootless_user
step_start
if [ "$CHANGED" = 0 ]; then info "nothing to change: already installed and up to date"; else info "done"; fi
