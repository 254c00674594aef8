"""``promtool check config`` accepts the scrape configuration (Debian package ``prometheus``).

Debian's Prometheus is built without ``kubernetes_sd_configs``: each job's discovery block is
swapped for ``static_configs`` so promtool validates everything else (relabel rules, regexes,
intervals and timeouts), after the collector's own ``${env:...}``/``$$`` expansion.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CollectorConfig, KongConfig
from components.kubernetes.collector_config import render_collector_config
from tests.collector.prometheus_sim import expand_collector

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install prometheus) - scrape config not checked"
)
ENV = {"K8S_NODE_NAME": "ip-10-0-1-23.eu-central-1.compute.internal", "MY_POD_IP": "10.0.1.5"}


def prometheus_config(collector: CollectorConfig, kong: KongConfig) -> dict[str, Any]:
    rendered = yaml.safe_load(render_collector_config(collector, kong))
    prometheus: dict[str, Any] = rendered["receivers"]["prometheus"]["config"]
    expanded: dict[str, Any] = expand_collector(prometheus, {**ENV, "DT_ENDPOINT": "", "DT_API_TOKEN": ""})
    for job in expanded["scrape_configs"]:
        assert job.pop("kubernetes_sd_configs")
        job["static_configs"] = [{"targets": ["127.0.0.1:9"]}]
    return expanded


def promtool_check(config: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, "check", "config", "--syntax-only", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("collector", "kong"),
    [
        (CollectorConfig(), KongConfig(enabled=True, discovery="service")),
        (CollectorConfig(scrape_interval="5s", max_staleness="1m"), KongConfig(enabled=True, scrape_interval="2s")),
        (CollectorConfig(scrape_interval="2m", max_staleness="25h"), KongConfig(enabled=False)),
    ],
)
def test_promtool_accepts_the_scrape_configuration(
    collector: CollectorConfig, kong: KongConfig, tmp_path: Path
) -> None:
    result = promtool_check(prometheus_config(collector, kong), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_relabel_regex(tmp_path: Path) -> None:
    """The check has teeth: a regex Prometheus cannot compile fails it."""
    config = prometheus_config(CollectorConfig(), KongConfig(enabled=True))
    config["scrape_configs"][0]["relabel_configs"][0]["regex"] = "tr(ue"
    result = promtool_check(config, tmp_path)
    assert result.returncode != 0
    assert "error parsing regexp" in result.stdout + result.stderr
