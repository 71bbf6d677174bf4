#!/bin/bash
exec kafka-run-class.sh kafka.Kafka "$@"
