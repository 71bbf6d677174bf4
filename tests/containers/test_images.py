"""The images: one build of the app image (defect 5), health checks that start no JVM (defect 4)."""

import json
import re


def test_compose_build_builds_the_app_image_once_not_once_per_container(project):
    config = project.compose("config", "--format", "json").stdout
    builders = [name for name, s in json.loads(config)["services"].items() if s.get("build")]
    assert builders == ["app-image"]

    result = project.compose("build")
    output = result.stdout + result.stderr
    building = re.findall(r"Service (\S+)\s+Building", output)
    assert building == ["app-image"], output[-2000:]


def test_the_kafka_health_check_answers_without_a_jvm(project):
    (kafka,) = project.containers("kafka")
    health = project.state(kafka)["Health"]
    assert health["Status"] == "healthy"
    assert health["Log"] and health["Log"][-1]["ExitCode"] == 0
    processes = project.docker("top", kafka, "-eo", "pid,args")
    jvms = [line for line in processes.splitlines() if "java" in line]
    assert len(jvms) == 1 and "kafka.Kafka" in jvms[0], processes


def test_the_stand_ins_or_official_images_carry_the_tags_compose_names(project):
    services = json.loads(project.compose("config", "--format", "json").stdout)["services"]
    images = {s["image"] for s in services.values()}
    assert {"postgres:18", "apache/kafka:4.4.0", "traefik:v3.7"} <= images
    for image in images:
        project.docker("image", "inspect", image)
