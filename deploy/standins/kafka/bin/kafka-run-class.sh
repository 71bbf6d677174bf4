#!/bin/bash
# Runs one Kafka main class with the jars of /opt/kafka/libs (what the release's script does).
set -euo pipefail
: "${KAFKA_HEAP_OPTS:=-Xmx256m}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties}"
# shellcheck disable=SC2086 # the *_OPTS are lists of JVM flags
exec java $KAFKA_HEAP_OPTS ${KAFKA_OPTS:-} $KAFKA_LOG4J_OPTS -cp '/opt/kafka/libs/*' "$@"
