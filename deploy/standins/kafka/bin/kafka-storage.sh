#!/bin/bash
exec kafka-run-class.sh kafka.tools.StorageTool "$@"
