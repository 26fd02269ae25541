#!/usr/bin/env bash
# A two-node RabbitMQ cluster with the MQTT plugin, on loopback only, for the clinic's
# cluster test (Debian's rabbitmq-server; nothing system-wide is started or changed).
# usage: scripts/rabbitmq-cluster.sh start DIR MQTT_PORT_1 MQTT_PORT_2
#        scripts/rabbitmq-cluster.sh stop-node DIR N | start-node DIR N | stop DIR
#        scripts/rabbitmq-cluster.sh kill-node DIR N | freeze-node DIR N | thaw-node DIR N
#          (SIGKILL, SIGSTOP, SIGCONT of node N's Erlang VM: a crash and a hang, not a stop)
# Each node N (1, 2) keeps its data, logs and config under DIR/nN; node names are
# srN-<hash of DIR>@localhost, so clusters of different DIRs never meet.
set -euo pipefail
sbin=$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin 2>/dev/null | sort -V | tail -1)
[ -n "$sbin" ] || { echo "rabbitmq-cluster: Debian's rabbitmq-server is not installed" >&2; exit 1; }
cmd="$1"
dir="$(mkdir -p "$2" && cd "$2" && pwd)"
tag=$(echo -n "$dir" | md5sum | cut -c1-8)
export HOME="$dir" # the Erlang cookie both nodes and rabbitmqctl share
export ERL_EPMD_ADDRESS=127.0.0.1
node_name() { echo "sr$1-$tag@localhost"; }

# A free port below the kernel's ephemeral range (32768+), so no outgoing connection takes it
# between now and the node's start.
free_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PY
}

node_env() { # N -> exports for node N
  local n=$1 d="$dir/n$1"
  export RABBITMQ_NODENAME=$(node_name "$n")
  export RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log"
  export RABBITMQ_CONFIG_FILE="$d/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
  export RABBITMQ_PID_FILE="$d/pid" RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$(cat "$d/amqp_port")
  export RABBITMQ_DIST_PORT=$(cat "$d/dist_port")
  export RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
}

# The pid of node N's Erlang VM, or nothing: the beam.smp whose environment names the node and
# whose home is DIR. (The pid file is not enough: RabbitMQ rewrites it with another pid when
# autoheal restarts the node's application.)
node_pid() {
  local want="RABBITMQ_NODENAME=$(node_name "$1")" p
  for p in $(pgrep -x beam.smp); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF -- "$want" &&
      tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-home $dir " && { echo "$p"; return; }
  done
  return 0
}

ctl() { "$sbin/rabbitmqctl" -n "$(node_name "$1")" "${@:2}"; }

start_node() {
  local n=$1
  node_env "$n"
  # exec: the subshell becomes the server, so nothing else holds the caller's stdout open.
  (cd "$dir/n$n" && exec setsid "$sbin/rabbitmq-server" >"$dir/n$n/stdout.log" 2>&1 </dev/null &)
  # Bounded: 120 s for the node to boot. await_startup fails at once while the node is not
  # yet reachable, so it is asked again each second.
  local deadline=$((SECONDS + 120))
  until "$sbin/rabbitmqctl" -n "$(node_name "$n")" await_startup --timeout 10 >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "rabbitmq-cluster: node $n did not start; see $dir/n$n" >&2; tail -20 "$dir/n$n/stdout.log" >&2; exit 1
    fi
    sleep 1
  done
}

case "$cmd" in
start)
  [ -f "$dir/.erlang.cookie" ] || { head -c 20 /dev/urandom | md5sum | cut -c1-20 > "$dir/.erlang.cookie"; chmod 400 "$dir/.erlang.cookie"; }
  for n in 1 2; do
    d="$dir/n$n"; mkdir -p "$d/mnesia" "$d/log"
    mqtt_port=${!#}; [ "$n" = 1 ] && mqtt_port=$3 || mqtt_port=$4
    free_port > "$d/amqp_port"; free_port > "$d/dist_port"; : > "$d/rabbitmq-env.conf"
    # net_ticktime and cluster_partition_handling as `stillroom broker-config` writes them:
    # a hung (SIGSTOP) peer is declared down within 3.75-6.25 s instead of 45-75 s (until
    # then the other node holds every new MQTT subscription), and after it wakes, the side
    # without clients restarts and rejoins.
    cat > "$d/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$(cat "$d/amqp_port")
mqtt.listeners.tcp.default = 127.0.0.1:$mqtt_port
mqtt.allow_anonymous = true
loopback_users = none
net_ticktime = 5
cluster_partition_handling = autoheal
log.console = false
log.file.level = warning
CONF
    echo "[]." > "$d/advanced.config"
    echo "[rabbitmq_mqtt]." > "$d/enabled_plugins"
  done
  start_node 1
  start_node 2
  ctl 2 stop_app >/dev/null
  ctl 2 join_cluster "$(node_name 1)" >/dev/null
  ctl 2 start_app >/dev/null
  ctl 1 cluster_status --formatter json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert len(s["running_nodes"]) == 2, s; print("rabbitmq-cluster: running", " ".join(s["running_nodes"]))'
  ;;
stop-node) timeout 120 "$sbin/rabbitmqctl" -n "$(node_name "$3")" stop >/dev/null ;;
kill-node|freeze-node|thaw-node)
  sig=KILL; [ "$cmd" = freeze-node ] && sig=STOP; [ "$cmd" = thaw-node ] && sig=CONT
  pid=$(node_pid "$3")
  [ -n "$pid" ] || { echo "rabbitmq-cluster: node $3 is not running" >&2; exit 1; }
  kill -s "$sig" "$pid" ;;
start-node) start_node "$3" ;;
stop)
  # Both nodes at once, by their pids: SIGCONT (a frozen node cannot act on SIGTERM), a
  # clean SIGTERM, then SIGKILL for what is still there after 30 s.
  pids=()
  for n in 1 2; do pid=$(node_pid "$n"); [ -n "$pid" ] && pids+=("$pid"); done
  [ ${#pids[@]} -gt 0 ] || exit 0
  kill -CONT "${pids[@]}" 2>/dev/null || true
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "${pids[@]}" 2>/dev/null || exit 0; sleep 0.5; done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  ;;
*) echo "usage: $0 start DIR PORT1 PORT2 | stop-node|start-node|kill-node|freeze-node|thaw-node DIR N | stop DIR" >&2; exit 2 ;;
esac
