"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from a host that is unreachable here. It runs this file as
`python get_pip.py <pip options> pip==X setuptools... [--no-setuptools] [--no-wheel]`. We do the
same job with the interpreter's bundled pip (ensurepip) and the reachable package index.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
