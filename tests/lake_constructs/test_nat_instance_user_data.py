"""The NAT instance's first boot installs iptables-services even when dnf's first attempt fails.

CDK's default NatInstanceProviderV2 user data runs `yum install iptables-services -y` once; on
Amazon Linux 2023 a race between cloud-init scripts ("dnf clean all" deleting the cache during
the install) makes it fail now and then, and the instance then forwards nothing: the cluster
subnets have no egress (aws/aws-cdk issue 36717, "ec2: NatProvider.instanceV2 UserData fails due
to dnf race condition", https://github.com/aws/aws-cdk/issues/36717; the fixes proposed upstream,
PRs 36718 and 37464, retry the install). The install stage of the synthesized user data runs
here in bash with a fake `yum` (and `sleep`) first on PATH: nothing of the machine is touched.
"""
import json
import subprocess

import pytest
from aws_cdk import aws_ec2 as ec2

INSTALL = "yum install iptables-services -y"


def user_data_scripts(synth) -> list[str]:
    instances = [r for r in synth.template_json("network")["Resources"].values() if r["Type"] == "AWS::EC2::Instance"]
    return [i["Properties"]["UserData"]["Fn::Base64"] for i in instances]


def install_stage(script: str) -> str:
    """The script up to the first command that starts the firewall (after the package is in)."""
    lines = script.splitlines()
    (first,) = [i for i, line in enumerate(lines) if line == "systemctl enable iptables"][:1]
    return "\n".join(lines[:first])


def run_with_fake_yum(stage: str, tmp_path, failures: int) -> tuple[int, int]:
    """(yum calls, whether the stage got past the install) with a yum that fails `failures` times."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "yum").write_text(
        f'#!/bin/bash\necho x >> "{tmp_path}/calls"\n[ "$(wc -l < "{tmp_path}/calls")" -gt {failures} ]\n'
    )
    (bin_dir / "sleep").write_text("#!/bin/bash\nexit 0\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    script = stage + '\necho "$?" > ' + f'"{tmp_path}/last"\n'
    subprocess.run(["bash", "-c", script], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, timeout=20, check=False, capture_output=True)
    calls = len((tmp_path / "calls").read_text().splitlines())
    return calls, int((tmp_path / "last").read_text())


def test_the_nat_instance_keeps_cdks_commands_in_order(dev):
    assert dev.settings.network.nat_provider == "instance" and dev.settings.network.nat_gateways > 0
    for script in user_data_scripts(dev):
        lines = script.splitlines()
        kept = [c for c in ec2.NatInstanceProviderV2.DEFAULT_USER_DATA_COMMANDS if c != INSTALL]
        assert [line for line in lines if line in kept] == kept


@pytest.mark.parametrize("failures", [1, 2])
def test_a_failed_install_is_retried(dev, tmp_path, failures):
    (script, *_) = user_data_scripts(dev)
    calls, status = run_with_fake_yum(install_stage(script), tmp_path, failures)
    assert calls == failures + 1 and status == 0


def test_the_retries_are_bounded(dev, tmp_path):
    """A yum that never succeeds must not hold the boot forever."""
    (script, *_) = user_data_scripts(dev)
    calls, _ = run_with_fake_yum(install_stage(script), tmp_path, failures=10_000)
    assert 1 < calls < 100
