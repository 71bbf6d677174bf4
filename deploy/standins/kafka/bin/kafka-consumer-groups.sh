#!/bin/bash
KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties}" KAFKA_HEAP_OPTS="${KAFKA_TOOLS_HEAP_OPTS:--Xmx128m}" exec kafka-run-class.sh org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
